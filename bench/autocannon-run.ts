import autocannon from 'autocannon';

/**
 * One load run of `npm run bench`, in a process of its own so that the load generator never shares
 * a thread with what it measures: reads a Load as JSON from argv, runs autocannon, prints the
 * result as one JSON line.
 */
export interface Load {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** answers that were not 2xx, and errors (timeouts, resets) */
  failures: number;
  total: number;
}

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2]) as Load;
  const result = await autocannon({
    url: load.url,
    method: load.method ?? 'GET',
    headers: load.headers,
    body: load.body,
    connections: load.connections,
    duration: load.seconds,
  });
  const out: LoadResult = {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    total: result.requests.total,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();

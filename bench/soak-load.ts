import autocannon from 'autocannon';

/**
 * The load of `npm run bench:soak`, in a process of its own (as bench/autocannon-run.ts, which runs
 * one kind of request; this runs a mix): reads a MixLoad as JSON from stdin (a list of requests
 * can outgrow an argument), prints `started` when autocannon is under way, then the result as one
 * JSON line. Every connection goes through `requests` in order, again and again, so the mix is
 * the list's.
 */
export interface MixLoad {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: {
    method: 'GET' | 'POST';
    path: string;
    headers: Record<string, string>;
    body?: string;
  }[];
  connections: number;
  seconds: number;
  /** requests per second over all connections; unset: as fast as the server answers */
  rate?: number;
}

export interface MixResult {
  total: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** answers by HTTP status */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const load = JSON.parse(input) as MixLoad;
  const run = autocannon({
    url: load.url,
    requests: load.requests,
    connections: load.connections,
    duration: load.seconds,
    ...(load.rate ? { overallRate: load.rate } : {}),
  });
  process.stdout.write('started\n');
  const result = await run;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [
      status,
      stats.count ?? 0,
    ]),
  );
  const out: MixResult = {
    total: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();

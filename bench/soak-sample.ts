import { readFileSync } from 'node:fs';
import http from 'node:http';

/**
 * What bench:soak reads from the server process every few seconds: its resident memory from the
 * kernel (/proc/<pid>/status), the rest from its Prometheus /metrics (loopback: no token needed).
 */
export interface Sample {
  /** seconds since the load started */
  t: number;
  rssMb: number;
  /** the V8 heap as reserved, and as used (live objects and garbage not yet collected) */
  heapTotalMb: number;
  heapUsedMb: number;
  /** memory of C++ objects tied to JavaScript ones (buffers among them) */
  externalMb: number;
  /**
   * p99 of the event loop's delay since the previous scrape (prom-client resets its histogram at
   * each one), in ms; its monitor wakes every 10 ms, which is the floor of this figure
   */
  eventLoopP99Ms: number;
  /** HTTP requests the server answered since it started */
  requests: number;
  /** key uses counted and waiting to be written to the audit log */
  usageQueue: number;
}

/** One line of the text format: name, labels as written ({…} or ''), value. */
export interface MetricLine {
  name: string;
  labels: string;
  value: number;
}

/** VmRSS of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 5_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(body)
            : reject(new Error(`${url}: ${response.statusCode} ${body.slice(0, 200)}`)),
        );
      })
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error(`${url}: no answer within 5 s`));
      })
      .on('error', reject);
  });
}

/** GET /metrics, one MetricLine per sample line. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricLine[]> {
  const text = await getText(`${baseUrl}/metrics`);
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
      if (!match) throw new Error(`unexpected /metrics line: ${line}`);
      return { name: match[1], labels: match[2] ?? '', value: Number(match[3]) };
    });
}

/** The sum of a metric over all its labels. */
export const total = (lines: MetricLine[], name: string) =>
  lines.filter((line) => line.name === name).reduce((sum, line) => sum + line.value, 0);

export async function takeSample(pid: number, baseUrl: string, t: number): Promise<Sample> {
  const rss = rssMb(pid);
  const metrics = await scrapeMetrics(baseUrl);
  return {
    t,
    rssMb: rss,
    heapTotalMb: total(metrics, 'empress_nodejs_heap_size_total_bytes') / 2 ** 20,
    heapUsedMb: total(metrics, 'empress_nodejs_heap_size_used_bytes') / 2 ** 20,
    externalMb: total(metrics, 'empress_nodejs_external_memory_bytes') / 2 ** 20,
    eventLoopP99Ms: total(metrics, 'empress_nodejs_eventloop_lag_p99_seconds') * 1000,
    requests: total(metrics, 'empress_http_requests_total'),
    usageQueue: total(metrics, 'empress_audit_usage_queue_depth'),
  };
}

import { markdownTable } from './bench-kit';
import type { MixResult } from './soak-load';
import { lineChart, sparkline } from './soak-plot';
import type { Sample } from './soak-sample';

/** bench:soak's figures against its targets: the lines to print, the SVG chart, and whether all were met. */
export type Verifications = { via: string; code: string; count: number }[];

const RSS_LIMIT_MB = 250;
const FLAT_WINDOW_SECONDS = 240;
const FLAT_LIMIT = 0.1;
const FLAT_MINUTE = 60;
/** less than a sampling interval: [t, t + 60 - SAMPLE_SLACK] holds one minute's samples */
const SAMPLE_SLACK = 1;
/** a wrong secret may be answered INVALID; a good one never, so INVALIDs stay near the wrong ones' share */
const EXPECTED_CODES = ['VALID', 'INVALID'];

interface Soak {
  samples: Sample[];
  result: MixResult;
  checks: Verifications;
  seconds: number;
  /** the share of the load's requests that carry a wrong secret */
  wrongShare: number;
  plot: string;
}

const mb = (value: number) => `${value.toFixed(0)} MB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** RSS's least-squares slope over time, MB per second: shown beside the floors, not judged. */
function slope(samples: Sample[]): number {
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanRss = samples.reduce((sum, s) => sum + s.rssMb, 0) / n;
  const cov = samples.reduce((sum, s) => sum + (s.t - meanT) * (s.rssMb - meanRss), 0);
  const varT = samples.reduce((sum, s) => sum + (s.t - meanT) ** 2, 0);
  return varT ? cov / varT : 0;
}

/**
 * Flatness over the last 4 minutes of the load (the last 4/5 of a shorter run): the lowest RSS
 * of their first minute against the lowest of their last minute. RSS follows the V8 heap, which
 * swings by up to 100 MB of garbage between two major collections; two single samples, or a line
 * through them, fall on any point of that swing. The lows come after collections: what stays is
 * what the process holds, and a leak lifts them.
 */
function flatness(samples: Sample[], seconds: number) {
  const windowStart = Math.max(seconds - FLAT_WINDOW_SECONDS, seconds / 5);
  const window = samples.filter((s) => s.t >= windowStart);
  const end = window[window.length - 1].t;
  const low = (from: number, to: number) =>
    Math.min(...window.filter((s) => s.t >= from && s.t <= to).map((s) => s.rssMb));
  const first = low(windowStart, windowStart + FLAT_MINUTE - SAMPLE_SLACK);
  const last = low(end - FLAT_MINUTE + SAMPLE_SLACK, end);
  return {
    windowStart,
    end,
    first,
    last,
    growth: last / first - 1,
    mbPerMinute: slope(window) * 60,
  };
}

function sampleRows(samples: Sample[]): string[] {
  const rows = samples.map((s, i) => {
    const before = samples[i - 1];
    const rate = before ? (s.requests - before.requests) / (s.t - before.t) : undefined;
    return [
      s.t.toFixed(0),
      s.rssMb.toFixed(0),
      s.heapTotalMb.toFixed(0),
      s.heapUsedMb.toFixed(0),
      s.externalMb.toFixed(0),
      s.eventLoopP99Ms.toFixed(1),
      rate === undefined ? '–' : Math.round(rate).toLocaleString('en'),
      String(s.usageQueue),
    ];
  });
  const header = [
    't s',
    'RSS MB',
    'heap total MB',
    'heap used MB',
    'external MB',
    'event loop p99 ms',
    'req/s',
    'usage queue',
  ];
  return markdownTable(
    header,
    header.map(() => true),
    rows,
  );
}

/** Answers that were not the expected ones: transport failures, statuses, verification codes. */
function unexpected({ result, checks, wrongShare }: Soak): string[] {
  const problems: string[] = [];
  if (result.errors || result.timeouts)
    problems.push(`${result.errors} errors, ${result.timeouts} timeouts`);
  for (const [status, count] of Object.entries(result.statuses))
    if (status !== '200' && status !== '401') problems.push(`${count} answers ${status}`);
  for (const c of checks)
    if (!EXPECTED_CODES.includes(c.code)) problems.push(`${c.count} ${c.via} ${c.code}`);
  const invalid = checks.filter((c) => c.code === 'INVALID').reduce((sum, c) => sum + c.count, 0);
  const expected = result.total * wrongShare;
  if (invalid > 2 * expected + 10)
    problems.push(`${invalid} INVALID, for about ${Math.round(expected)} wrong secrets`);
  return problems;
}

function chart(samples: Sample[]): string {
  return lineChart(
    'bench:soak: the server’s RSS and event-loop delay (p99 per 10 s)',
    'seconds of load',
    {
      name: 'RSS',
      unit: 'MB',
      color: '#1f5fa8',
      points: samples.map((s) => [s.t, s.rssMb]),
      limit: RSS_LIMIT_MB,
    },
    {
      name: 'event loop p99',
      unit: 'ms',
      color: '#c0392b',
      points: samples.map((s) => [s.t, s.eventLoopP99Ms]),
    },
  );
}

export function report(soak: Soak): { lines: string[]; svg: string; met: boolean } {
  const { samples, result } = soak;
  const loaded = samples.slice(1);
  const peak = samples.reduce((max, s) => (s.rssMb > max.rssMb ? s : max));
  const flat = flatness(samples, soak.seconds);
  const lags = loaded.map((s) => s.eventLoopP99Ms).sort((a, b) => a - b);
  const worstLag = loaded.reduce((max, s) => (s.eventLoopP99Ms > max.eventLoopP99Ms ? s : max));
  const problems = unexpected(soak);
  const targets = [
    [
      `max RSS (at ${peak.t.toFixed(0)} s)`,
      mb(peak.rssMb),
      `≤ ${RSS_LIMIT_MB} MB`,
      peak.rssMb <= RSS_LIMIT_MB,
    ],
    [
      `RSS growth, ${flat.windowStart.toFixed(0)} s → ${flat.end.toFixed(0)} s: lowest of the first minute → of the last (${mb(flat.first)} → ${mb(flat.last)}; least-squares slope ${flat.mbPerMinute.toFixed(2)} MB/min)`,
      `${(flat.growth * 100).toFixed(1)} %`,
      `≤ ${FLAT_LIMIT * 100} %`,
      flat.growth <= FLAT_LIMIT,
    ],
    ['answers other than expected', problems.join('; ') || '0', '0', problems.length === 0],
  ] as const;
  const lines = [
    ...sampleRows(samples),
    '',
    `RSS             ${sparkline(samples.map((s) => s.rssMb))}  ${mb(Math.min(...samples.map((s) => s.rssMb)))} – ${mb(peak.rssMb)}`,
    `event loop p99  ${sparkline(samples.map((s) => s.eventLoopP99Ms))}  ${ms(Math.min(...samples.map((s) => s.eventLoopP99Ms)))} – ${ms(Math.max(...samples.map((s) => s.eventLoopP99Ms)))}`,
    '',
    `RSS before the load ${mb(samples[0].rssMb)}, at its end ${mb(samples[samples.length - 1].rssMb)}; event loop p99 per sample under load: median ${ms(lags[Math.floor(lags.length / 2)])}, max ${ms(worstLag.eventLoopP99Ms)} (at ${worstLag.t.toFixed(0)} s)`,
    `load: ${result.total.toLocaleString('en')} requests, ${Math.round(result.requestsPerSecond).toLocaleString('en')} req/s, latency p50 ${result.p50} ms / p99 ${result.p99} ms; statuses ${JSON.stringify(result.statuses)}`,
    `credential checks: ${soak.checks.map((c) => `${c.via} ${c.code} ${c.count.toLocaleString('en')}`).join(', ')}`,
    `chart: ${soak.plot}`,
    '',
    ...markdownTable(
      ['target', 'measured', 'wanted', ''],
      [false, true, true, false],
      targets.map(([name, measured, wanted, met]) => [
        name,
        measured,
        wanted,
        met ? 'met' : '**missed**',
      ]),
    ),
  ];
  return { lines, svg: chart(samples), met: targets.every(([, , , met]) => met) };
}

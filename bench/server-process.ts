import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from './bench-kit';

/**
 * The real server as `npm start` runs it (`node`, its options, `dist/src/main.js`), in a process of its own: for
 * the benchmarks that measure that process itself, its start (bench:start) or its memory under a
 * long load (bench:soak).
 */
export const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** The options `npm start` gives node (its heap's size): the benchmarks run the server as it does. */
function startNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/src/main.js'));
}
/** how often /healthz is asked while a server starts: the resolution of a start time */
const POLL_MS = 20;

/** Builds dist/ (`npm run build`) when dist/src/main.js is missing; a dist that is there is used as it is. */
export function ensureBuilt(): void {
  if (existsSync(MAIN)) return;
  log('dist/src/main.js is missing: building it first (npm run build)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
}

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** performance.now() just before the spawn */
  spawnedAt: number;
  /** ms from the spawn to the first stdout line that matched each of the `marks` */
  marks: Map<string, number>;
  /** the exit code, or the signal's name */
  exited: Promise<number | string>;
}

export interface ServerOptions {
  port: number;
  /** an embedded PostgreSQL with its data in dataDir, or the database at url */
  database: { dataDir: string } | { url: string };
  /** more environment (NODE_ENV, limits) */
  env?: Record<string, string>;
  /** options for node itself (--cpu-prof) */
  nodeArgs?: string[];
  /** names of stdout lines to time; without any, the server's stdout goes to /dev/null */
  marks?: Record<string, RegExp>;
}

/** Starts `node dist/src/main.js` on 127.0.0.1:<port>; its stderr goes to ours. */
export function spawnServer(options: ServerOptions): ServerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(options.port) };
  // the caller chooses the database: never one that happens to be in this shell's environment
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  if ('url' in options.database) env.DATABASE_URL = options.database.url;
  else env.DATA_DIR = options.database.dataDir;
  Object.assign(env, options.env);

  const marks = new Map<string, number>();
  const patterns = Object.entries(options.marks ?? {});
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...startNodeArgs(), ...(options.nodeArgs ?? []), MAIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', patterns.length ? 'pipe' : 'ignore', 'inherit'],
  });
  if (child.stdout) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      for (const [name, pattern] of patterns)
        if (!marks.has(name) && pattern.test(line)) marks.set(name, performance.now() - spawnedAt);
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, url: `http://127.0.0.1:${options.port}`, spawnedAt, marks, exited };
}

/** One GET; true on a 200. Plain node:http: nothing to load while the server starts beside it. */
function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** ms from the spawn to the first 200 from /healthz; throws if the server exits or takes longer than timeoutMs. */
export async function waitHealthy(server: ServerProcess, timeoutMs: number): Promise<number> {
  let exit: number | string | undefined;
  void server.exited.then((code) => (exit = code));
  while (performance.now() - server.spawnedAt < timeoutMs) {
    if (exit !== undefined) throw new Error(`the server exited (${exit}) before /healthz answered`);
    if (await answers200(`${server.url}/healthz`)) return performance.now() - server.spawnedAt;
    await sleep(POLL_MS);
  }
  throw new Error(`/healthz did not answer 200 within ${timeoutMs / 1000} s`);
}

/** SIGTERM, then the ms until the process is gone (0 if it already was); SIGKILL after timeoutMs. */
export async function stopServer(server: ServerProcess, timeoutMs = 20_000): Promise<number> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return 0;
  const started = performance.now();
  server.child.kill('SIGTERM');
  const timer = new AbortController();
  const timedOut = sleep(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(
    () => 'stopped',
  );
  const outcome = await Promise.race([server.exited, timedOut]);
  timer.abort();
  if (outcome === 'timeout') {
    server.child.kill('SIGKILL');
    throw new Error(`the server did not stop within ${timeoutMs / 1000} s of SIGTERM (killed)`);
  }
  return performance.now() - started;
}

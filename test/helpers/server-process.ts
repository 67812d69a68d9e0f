import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer } from '../../src/server';
import { TEST_SIGNUP_LIMITS, TEST_WEBHOOKS } from './server';

/**
 * The real server (buildServer, as main.ts builds it) in a process of its own. Both sides live in
 * this file: the test imports startServerProcess(), which runs this same file as the child
 * (`node -r @swc-node/register test/helpers/server-process.ts`, see the bottom of the file).
 *
 * Why a process of its own:
 * - a second instance as in production, with its own caches, pool and LISTEN connection
 *   (api-keys/multi-instance.test.ts);
 * - a process whose memory a test can watch from outside, /proc/<pid>/status, with a capped heap
 *   (audit/export.test.ts, nodeArgs ['--max-old-space-size=128']);
 * - a server on a database the test names and takes away, with no jest sandbox between it and
 *   Node (errors raised by Node's own sockets are `instanceof Error` there, as in production),
 *   its JSON log captured (hardening/faults.test.ts).
 *
 * The child writes its JSON log to stderr and prints `EMPRESS_TEST_SERVER_PORT=<port>` on stdout
 * once it listens on a random port of 127.0.0.1. It stops (server, then pool) on SIGTERM/SIGINT
 * and when its stdin closes, so it never outlives the test process that started it.
 */
export interface ServerProcessOptions {
  /** the database the server uses; default TEST_DATABASE_URL (this run's database) */
  databaseUrl?: string;
  /** overrides for loadConfig, on top of { NODE_ENV: 'test', LOG_LEVEL: 'warn', ...TEST_SIGNUP_LIMITS, ...TEST_WEBHOOKS } */
  env?: Record<string, string>;
  /** arguments for node itself, e.g. ['--max-old-space-size=128'] */
  nodeArgs?: string[];
  /** keep the server's log lines (JSON, from its stderr) in `log`; default false */
  captureLog?: boolean;
  /** connections in the child's pool; default 10 */
  poolSize?: number;
  /** application_name of the child's pool connections; default the service's own */
  applicationName?: string;
  /** how long the child may take to listen; default 60 s */
  startTimeoutMs?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** the server's log lines so far (JSON); stays empty unless captureLog */
  log: string[];
  /** closes the child's stdin and sends SIGTERM, waits for the exit (SIGKILL after 15 s) */
  stop(): Promise<void>;
}

/** What the parent hands the child, as JSON in this environment variable. */
const CHILD_ENV = 'EMPRESS_SERVER_PROCESS';
const PORT_LINE = /^EMPRESS_TEST_SERVER_PORT=(\d+)$/;
const KILL_AFTER_MS = 15_000;
/** the child gives up on a graceful stop after this long (and exits 1) */
const CHILD_FORCE_EXIT_MS = 10_000;

interface ChildSettings {
  databaseUrl: string;
  env: Record<string, string>;
  poolSize: number;
  applicationName?: string;
}

/** VmRSS of a process, in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * `count` more instances of the server in child processes on this run's database, started while
 * `first` (usually a seeded in-process server) gets ready: a deployment of several instances.
 */
export async function withOtherInstances<T>(
  first: PromiseLike<T>,
  count: number,
): Promise<[T, ServerProcess[]]> {
  const [ready, ...others] = await Promise.all([
    first,
    ...Array.from({ length: count }, () => startServerProcess({ startTimeoutMs: 30_000 })),
  ]);
  return [ready, others];
}

/** Starts the server in a child process; resolves once it listens. */
export async function startServerProcess(
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const databaseUrl = options.databaseUrl ?? process.env.TEST_DATABASE_URL;
  if (!databaseUrl)
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests through jest (globalSetup), or pass databaseUrl',
    );
  const settings: ChildSettings = {
    databaseUrl,
    env: options.env ?? {},
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName,
  };
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '-r', '@swc-node/register', __filename],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(settings) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  child.stdin!.on('error', () => undefined); // EPIPE if the child is already gone
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // Both pipes are read to the end, always, so the child never blocks on a full pipe.
  const log: string[] = [];
  let started = false;
  const startupOutput: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (options.captureLog) log.push(line);
    if (!started) startupOutput.push(line);
  });
  const stdout = createInterface({ input: child.stdout! });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `server process did not start within ${startTimeoutMs} ms:\n${startupOutput.join('\n')}`,
            ),
          ),
        startTimeoutMs,
      );
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(
          new Error(
            `server process exited (${code ?? signal}) before it listened:\n${startupOutput.join('\n')}`,
          ),
        );
      };
      child.once('exit', onExit);
      stdout.on('line', (line) => {
        if (started) return;
        const match = PORT_LINE.exec(line);
        if (!match) {
          startupOutput.push(line);
          return;
        }
        started = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(match[1]));
      });
    });
    startupOutput.length = 0;
    return { url: `http://127.0.0.1:${port}`, port, pid: child.pid!, log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The child side: this file run by node (see startServerProcess). */
async function runChild(): Promise<void> {
  const raw = process.env[CHILD_ENV];
  if (!raw)
    throw new Error(`${CHILD_ENV} is not set: start this file through startServerProcess()`);
  const settings = JSON.parse(raw) as ChildSettings;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...TEST_SIGNUP_LIMITS,
    ...TEST_WEBHOOKS,
    ...settings.env,
  });
  const dataSource = createDataSource({
    url: settings.databaseUrl,
    poolSize: settings.poolSize,
    applicationName: settings.applicationName,
  });
  await dataSource.initialize();
  const server = await buildServer(config, dataSource, { logStream: process.stderr });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), CHILD_FORCE_EXIT_MS).unref();
    await server.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
  process.stdout.write(`EMPRESS_TEST_SERVER_PORT=${port}\n`);
}

if (require.main === module) {
  runChild().catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}

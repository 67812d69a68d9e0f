import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { buildServer } from '../../src/server';

/**
 * The real server (buildServer, as main.ts builds it) in a process of its own, on a database the
 * test names: for tests that take that database away (faults.test.ts). In its own process it runs
 * exactly as in production: no jest sandbox between it and Node (errors raised by Node's own
 * sockets are `instanceof Error` there, as they are in production and are not inside jest).
 *
 * The child prints `LISTENING <port>`, writes its JSON log to stderr, and stops (server, then
 * pool) when its stdin closes, so it never outlives the test that started it.
 */
export interface ServerOnDatabase {
  url: string;
  /** the server's log lines so far (JSON) */
  log: string[];
  stop(): Promise<void>;
}

export async function startServerOnDatabase(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerOnDatabase> {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', __filename], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, EMPRESS_CHILD_DATABASE_URL: databaseUrl, EMPRESS_CHILD_ENV: JSON.stringify(env) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => log.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^LISTENING (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}):\n${log.join('\n')}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { url: `http://127.0.0.1:${port}`, log, stop };
}

async function child(): Promise<void> {
  const url = process.env.EMPRESS_CHILD_DATABASE_URL!;
  const overrides = JSON.parse(process.env.EMPRESS_CHILD_ENV ?? '{}') as Record<string, string>;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...overrides });
  const dataSource = createDataSource({ url, poolSize: 10 });
  await dataSource.initialize();
  const server = await buildServer(config, dataSource, { logStream: process.stderr });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    await server.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
}

if (require.main === module) {
  child().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

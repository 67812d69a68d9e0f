import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testDatabaseUrl } from './server';

export interface ChildServer {
  url: string;
  pid: number;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s) */
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The service in a process of its own (test/helpers/server-main.ts) on this run's database: a
 * second instance as in production, with its own caches, pool and LISTEN connection.
 */
export async function startChildServer(env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', path.join('test', 'helpers', 'server-main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TEST_DATABASE_URL: testDatabaseUrl(), EMPRESS_TEST_ENV: JSON.stringify(env) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /EMPRESS_TEST_SERVER_PORT=(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`child server exited with ${code}:\n${output}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

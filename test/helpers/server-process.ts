import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabaseUrl } from './server';

export interface ServerProcess {
  url: string;
  pid: number;
  /** resident memory of the server process, in bytes (VmRSS of /proc/<pid>/status) */
  rss(): number;
  stop(): Promise<void>;
}

/** VmRSS of a process, in bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * The real server in a child process (test/helpers/export-server.ts), against this run's
 * database; resolves once it listens. stop() ends it (SIGTERM, then SIGKILL after 10 s).
 */
export function startServerProcess(env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<ServerProcess> {
  const root = path.resolve(__dirname, '../..');
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, '-r', '@swc-node/register', 'test/helpers/export-server.ts'], {
    cwd: root,
    env: { ...process.env, TEST_DATABASE_URL: testDatabaseUrl(), NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server process did not start\n${stderr}`));
    }, 60_000);
    const failedToStart = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server process exited (${code})\n${stderr}`));
    };
    child.once('exit', failedToStart);
    child.stdout!.on('data', (c: Buffer) => {
      if (started) return; // keep draining the pipe, nothing more
      out += c.toString();
      const match = /^PORT (\d+)$/m.exec(out);
      if (!match) return;
      started = true;
      clearTimeout(timer);
      child.off('exit', failedToStart);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        pid: child.pid!,
        rss: () => rssOf(child.pid!),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

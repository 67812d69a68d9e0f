import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres';

/**
 * A PostgreSQL that a test can stop and start again on the same port and data folder: the
 * project's embedded PostgreSQL (startEmbeddedPostgres) run in a process of its own, because
 * embedded-postgres is an ES module that jest's CommonJS test sandbox can't import.
 *
 * The child obeys one command per line on stdin ("stop", "start") and answers "STOPPED" or
 * "STARTED <admin url>". When its stdin closes (the test, or the test process, is gone) it stops
 * PostgreSQL and exits, so no cluster outlives the run.
 */
export class StoppablePostgres {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    readonly adminUrl: string,
    readonly port: number,
    readonly log: string[],
  ) {}

  static async start(dir: string, port: number): Promise<StoppablePostgres> {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', __filename, dir, String(port)],
      {
        cwd: path.resolve(__dirname, '..', '..'),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const log: string[] = [];
    child.stderr.on('data', (c: Buffer) => log.push(c.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await StoppablePostgres.answer(lines, log, 'STARTED');
    return new StoppablePostgres(child, lines, first.split(' ')[1], port, log);
  }

  private static async answer(
    lines: AsyncIterator<string>,
    log: string[],
    expected: string,
    timeoutMs = 60_000,
  ): Promise<string> {
    const timeout = new Promise<never>((_, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${expected} from the PostgreSQL process within ${timeoutMs} ms:\n${log.join('')}`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
    });
    for (;;) {
      const next = await Promise.race([lines.next(), timeout]);
      if (next.done)
        throw new Error(`the PostgreSQL process ended before ${expected}:\n${log.join('')}`);
      if (next.value.startsWith('FAILED')) throw new Error(`${next.value}\n${log.join('')}`);
      if (next.value.startsWith(expected)) return next.value;
      log.push(`${next.value}\n`);
    }
  }

  urlFor(database: string): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /** stop PostgreSQL (fast shutdown: sessions are cut); resolves once it is down */
  async stop(): Promise<void> {
    this.child.stdin!.write('stop\n');
    await StoppablePostgres.answer(this.lines, this.log, 'STOPPED');
  }

  /** start it again, same port, same data */
  async restart(): Promise<void> {
    this.child.stdin!.write('start\n');
    await StoppablePostgres.answer(this.lines, this.log, 'STARTED');
  }

  /** stop PostgreSQL for good and end the process */
  async shutdown(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The child: `node -r @swc-node/register stoppable-postgres.ts <dir> <port>`. */
async function child(dir: string, port: number): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let pg: EmbeddedDatabase | null = null;
  const start = async () => {
    pg = await startEmbeddedPostgres(dir, log, { port });
    process.stdout.write(`STARTED ${pg.adminUrl}\n`);
  };
  const stop = async () => {
    const running = pg;
    pg = null;
    await running?.stop();
  };
  let queue = Promise.resolve();
  const run = (task: () => Promise<void>) =>
    (queue = queue
      .then(task)
      .catch((error) => void process.stdout.write(`FAILED ${String(error)}\n`)));
  void run(start);
  const input = createInterface({ input: process.stdin });
  input.on('line', (command) => {
    if (command === 'stop')
      void run(async () => (await stop(), void process.stdout.write('STOPPED\n')));
    else if (command === 'start') void run(start);
  });
  input.on('close', () => void run(async () => (await stop(), process.exit(0))));
}

if (require.main === module) {
  const [dir, port] = process.argv.slice(2);
  void child(dir, Number(port));
}

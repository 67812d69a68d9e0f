import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';

/**
 * An HTTP load client in a process of its own, so that the requests it makes and the answers it
 * reads cost the server's event loop nothing: the benchmark process is then the server (plus a
 * little bookkeeping), and its RSS is the server's.
 *
 * The parent calls startLoadClient(); this same file, run as the child (fork), answers its
 * tasks one at a time: a sequential latency run, or a throughput run with concurrent clients.
 * Every answer is checked against `expect`; the first few that differ are returned.
 * Only node:http here: the child starts in a fraction of a second.
 */

export interface Target {
  /** http://127.0.0.1:<port> */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Expect {
  status: number;
  /** response headers that must have exactly these values (names in lower case) */
  headers?: Record<string, string>;
  /** strings the body must contain */
  bodyIncludes?: string[];
}

export type Task =
  | { kind: 'latency'; target: Target; expect: Expect; warmup: number; requests: number }
  | { kind: 'throughput'; target: Target; expect: Expect; concurrency: number; seconds: number };

export interface TaskResult {
  /** answers received, warm-up included */
  answered: number;
  /** answers that did not match `expect` */
  wrong: number;
  /** a few of them: "status body" */
  samples: string[];
  /** transport errors (refused, reset) */
  errors: number;
  /** latency: ms per measured request, in order; throughput: empty */
  timings: number[];
  /** ms the task took (throughput: from the first request to the last answer) */
  elapsedMs: number;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(agent: http.Agent, target: Target): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.path, target.url);
    const headers =
      target.body === undefined
        ? target.headers
        : { ...target.headers, 'content-length': String(Buffer.byteLength(target.body)) };
    const req = http.request(url, { method: target.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(target.body);
  });
}

function matches(answer: Answer, expect: Expect): boolean {
  if (answer.status !== expect.status) return false;
  for (const [name, value] of Object.entries(expect.headers ?? {}))
    if (answer.headers[name] !== value) return false;
  return (expect.bodyIncludes ?? []).every((text) => answer.body.includes(text));
}

/** One keep-alive connection per client, as a gateway's connection pool would hold. */
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

async function runTask(task: Task): Promise<TaskResult> {
  const result: TaskResult = {
    answered: 0,
    wrong: 0,
    samples: [],
    errors: 0,
    timings: [],
    elapsedMs: 0,
  };
  const one = async (agent: http.Agent): Promise<void> => {
    try {
      const answer = await send(agent, task.target);
      result.answered++;
      if (!matches(answer, task.expect)) {
        result.wrong++;
        if (result.samples.length < 3)
          result.samples.push(`${answer.status} ${answer.body.trim().slice(0, 300)}`);
      }
    } catch (error) {
      result.errors++;
      if (result.samples.length < 3)
        result.samples.push(`transport error: ${(error as Error).message}`);
    }
  };
  const started = process.hrtime.bigint();
  if (task.kind === 'latency') {
    const agent = newAgent();
    for (let i = 0; i < task.warmup + task.requests; i++) {
      const at = process.hrtime.bigint();
      await one(agent);
      if (i >= task.warmup) result.timings.push(Number(process.hrtime.bigint() - at) / 1e6);
    }
    agent.destroy();
  } else {
    const deadline = Date.now() + task.seconds * 1000;
    const agents = Array.from({ length: task.concurrency }, newAgent);
    await Promise.all(
      agents.map(async (agent) => {
        while (Date.now() < deadline) await one(agent);
      }),
    );
    for (const agent of agents) agent.destroy();
  }
  result.elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  return result;
}

export interface LoadClient {
  run(task: Task): Promise<TaskResult>;
  stop(): void;
}

/** Forks this file as the load client (with the parent's -r @swc-node/register). */
export function startLoadClient(): LoadClient {
  const child: ChildProcess = fork(__filename, ['--load-client'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending: { resolve(result: TaskResult): void; reject(error: Error): void } | null = null;
  child.on('message', (message) => {
    const waiting = pending;
    pending = null;
    waiting?.resolve(message as TaskResult);
  });
  child.on('exit', (code, signal) => {
    const waiting = pending;
    pending = null;
    waiting?.reject(new Error(`load client exited (${signal ?? code})`));
  });
  return {
    run(task) {
      if (pending) return Promise.reject(new Error('load client is busy'));
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(task);
      });
    },
    stop() {
      if (child.connected) child.disconnect();
    },
  };
}

if (require.main === module && process.argv.includes('--load-client')) {
  process.on('message', (task: Task) => {
    runTask(task).then(
      (result) => process.send!(result),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  // the parent went away (or is done): nothing more to do
  process.on('disconnect', () => process.exit(0));
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/db/embedded-postgres';
import {
  CreateTeamDocument,
  LogInDocument,
  SignUpDocument,
  TeamsDocument,
} from '../clients/generated/graphql';
import { runAuditVerify } from '../helpers/audit';
import { graphqlClient, type Gql } from '../helpers/graphql';
import { startTestServer, TEST_SIGNUP_LIMITS, testDatabaseUrl } from '../helpers/server';
import { sleep } from '../helpers/time';

/**
 * `npm start` for real: the service as a child process (src/main.ts through @swc-node/register, so
 * no build is needed), on a port of our choosing, with its data in a fresh folder. What an
 * operator sees: a URL, a password printed once, health endpoints, data kept across restarts,
 * and a clean stop on SIGTERM that leaves no PostgreSQL behind.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const STARTUP_MS = 60_000;
jest.setTimeout(180_000);

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One run of the service. */
class Service {
  readonly child: ChildProcess;
  output = '';
  exited: Exit | null = null;
  readonly exit: Promise<Exit>;
  url = '';

  constructor(
    readonly dataDir: string,
    readonly port: number,
    env: Record<string, string | undefined>,
  ) {
    const base = { ...process.env };
    // What a shell running `npm start` would have: none of jest's settings or this run's database.
    for (const name of [
      'DATABASE_URL',
      'NODE_ENV',
      'BOOTSTRAP_ADMIN_EMAIL',
      'BOOTSTRAP_ADMIN_PASSWORD',
      'PORT',
      'HOST',
      'DATA_DIR',
    ])
      delete base[name];
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...base,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exit = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      }),
    );
    running.add(this);
  }

  /** Waits for the URL in the output and a 200 from /healthz. */
  async ready(): Promise<void> {
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline) {
      if (this.exited)
        throw new Error(
          `the service exited (${JSON.stringify(this.exited)}) before it was up:\n${this.output}`,
        );
      const match = /listening on (http:\/\/\S+?)\/graphql/.exec(this.output);
      if (match) {
        this.url = match[1];
        const res = await fetch(`${this.url}/healthz`).catch(() => null);
        if (res?.status === 200) return;
      }
      await sleep(100);
    }
    throw new Error(`no URL and /healthz within ${STARTUP_MS / 1000} s:\n${this.output}`);
  }

  /** POST /graphql of the service (once ready) */
  get gql(): Gql {
    return graphqlClient(this.url);
  }

  async logIn(email: string, password: string): Promise<string | null> {
    const res = await this.gql(LogInDocument, { email, password });
    return res.data?.logIn?.token ?? null;
  }

  /** SIGTERM, and the way it exits. */
  async stop(): Promise<Exit> {
    if (!this.exited) this.child.kill('SIGTERM');
    const result = await within(this.exit, 30_000);
    if (!result) throw new Error(`did not exit within 30 s of SIGTERM:\n${this.output}`);
    running.delete(this);
    return result;
  }
}

const running = new Set<Service>();
const tempDirs: string[] = [];

/** The promise's value, or null after `ms` (the timer does not outlive the promise). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function freshDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'empress-start-'));
  tempDirs.push(dir);
  return dir;
}

/** Processes whose command line names `needle` (the postmaster is started with `-D <dir>/pgdata`). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The processes started by `pid`, and theirs, with their command lines. */
function descendantsOf(pid: number): { pid: number; cmdline: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; cmdline: string }[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${next}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    found.push({ pid: next, cmdline });
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** After a failure: the service, then any PostgreSQL it left behind (by the pid in postmaster.pid). */
afterAll(async () => {
  for (const service of running) {
    service.child.kill('SIGKILL');
    await within(service.exit, 5_000);
  }
  for (const dir of tempDirs) {
    const pidFile = path.join(dir, 'pgdata', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0 && processesMentioning(dir).includes(pid)) {
        process.kill(pid, 'SIGINT');
        for (let i = 0; i < 50 && processesMentioning(dir).includes(pid); i++) await sleep(100);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('npm start with an embedded PostgreSQL', () => {
  const dataDir = freshDataDir();
  let adminPassword = '';
  let teamId = '';

  it('first start on an empty DATA_DIR: prints a URL and a one-time admin password that works; /healthz and /readyz 200; SIGTERM exits 0 and stops PostgreSQL', async () => {
    const service = new Service(dataDir, await freePort(), {});
    await service.ready();
    expect(service.url).toBe(`http://localhost:${service.port}`);

    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);

    const printed = /email:\s+(\S+)\s+password:\s+(\S+)/.exec(service.output);
    expect(printed).not.toBeNull();
    const [, email, password] = printed!;
    expect(email).toBe('admin@localhost');
    const token = await service.logIn(email, password);
    expect(token).toEqual(expect.any(String));
    expect(await service.logIn(email, `${password}x`)).toBeNull();
    // the printed password sits in the log: the start says to change it, and how
    expect(service.output).toMatch(/change it now[^]*changePassword\(currentPassword:/);
    const changed = await service.gql(
      `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`,
      { c: password, n: 'the admin chose this one' },
      { authorization: `Bearer ${token}` },
    );
    expect(changed.data).toEqual({ changePassword: true });
    expect(await service.logIn(email, password)).toBeNull();
    adminPassword = 'the admin chose this one';

    // Something to find again after a restart.
    const created = await service.gql(
      CreateTeamDocument,
      { name: 'Survives restarts' },
      { authorization: `Bearer ${token}` },
    );
    teamId = created.data!.createTeam.id;

    // The embedded PostgreSQL runs with its data in DATA_DIR.
    expect(existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    const postgres = descendantsOf(service.child.pid!).filter((p) =>
      p.cmdline.includes(path.join(dataDir, 'pgdata')),
    );
    expect(postgres.length).toBeGreaterThan(0);

    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(processesMentioning(path.join(dataDir, 'pgdata'))).toEqual([]);
    expect(existsSync(path.join(dataDir, 'pgdata', 'postmaster.pid'))).toBe(false);
  });

  it('a second start on the same DATA_DIR keeps the data: the admin still signs in, no new password is printed', async () => {
    expect(adminPassword).not.toBe('');
    const service = new Service(dataDir, await freePort(), {});
    await service.ready();
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect(service.output).not.toMatch(/password:/);
    expect(service.output).not.toContain(adminPassword);

    const token = await service.logIn('admin@localhost', adminPassword);
    expect(token).toEqual(expect.any(String));
    const teams = await service.gql(TeamsDocument, {}, { authorization: `Bearer ${token}` });
    expect(teams.data!.teams).toEqual([{ id: teamId, name: 'Survives restarts' }]);

    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(processesMentioning(path.join(dataDir, 'pgdata'))).toEqual([]);
  });

  it('`npm run audit:verify` on that embedded database (service stopped): exit 0 while intact, 1 once a row was edited', async () => {
    expect(teamId).not.toBe('');
    const embedded = { DATABASE_URL: undefined, DATA_DIR: dataDir, NODE_ENV: undefined };
    const intact = await runAuditVerify([], 120_000, embedded);
    expect(intact).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/all \d+ chains intact/),
    });

    // Edit the team's first event as the cluster's superuser (its credentials and port are in
    // DATA_DIR while the service runs), with the append-only triggers off.
    const service = new Service(dataDir, await freePort(), {});
    await service.ready();
    const { user, password } = JSON.parse(
      readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'),
    );
    const port = readFileSync(path.join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8').split(
      '\n',
    )[3];
    const client = new Client({
      host: '127.0.0.1',
      port: Number(port),
      user,
      password,
      database: 'empress',
    });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      const edited = await client.query(
        `UPDATE audit_events SET action = 'team.renamed' WHERE id = (SELECT id FROM audit_events WHERE team_id = $1 ORDER BY occurred_at LIMIT 1)`,
        [teamId],
      );
      expect(edited.rowCount).toBe(1);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await service.stop()).toEqual({ code: 0, signal: null });

    // The exit code is what a cron job or a CI step sees: it must say broken.
    const broken = await runAuditVerify([], 120_000, embedded);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN  ${teamId}`);
    expect(processesMentioning(path.join(dataDir, 'pgdata'))).toEqual([]);
  });

  it('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD make the admin on a fresh DATA_DIR, and the password is not printed', async () => {
    const dir = freshDataDir();
    const email = 'ops@example.com';
    const password = 'a-long-bootstrap-password-42';
    const service = new Service(dir, await freePort(), {
      BOOTSTRAP_ADMIN_EMAIL: email,
      BOOTSTRAP_ADMIN_PASSWORD: password,
    });
    await service.ready();
    expect(service.output).toContain(email);
    expect(service.output).not.toContain(password);
    expect(service.output).not.toMatch(/password:\s+\S/);
    expect(await service.logIn(email, password)).toEqual(expect.any(String));
    expect(await service.logIn('admin@localhost', password)).toBeNull();
    const token = (await service.logIn(email, password))!;
    const viewer = await service.gql(`{ teams { id } }`, {}, { authorization: `Bearer ${token}` });
    expect(viewer.errors).toBeUndefined();

    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(processesMentioning(path.join(dir, 'pgdata'))).toEqual([]);
  });
});

describe('npm start with DATABASE_URL', () => {
  it('uses that database and starts no embedded PostgreSQL', async () => {
    const dir = freshDataDir();
    const service = new Service(dir, await freePort(), {
      DATABASE_URL: testDatabaseUrl(),
      // The run's database may have no user yet: don't leave an admin@localhost in it.
      BOOTSTRAP_ADMIN_EMAIL: `start-test-admin.${process.pid}@example.com`,
      BOOTSTRAP_ADMIN_PASSWORD: 'a-long-bootstrap-password-42',
      // the run's database counts every test file's sign-ups
      ...TEST_SIGNUP_LIMITS,
    });
    await service.ready();
    expect(service.output).toContain('database: DATABASE_URL');
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

    // Nothing in DATA_DIR, and the service started no PostgreSQL (nor anything else).
    expect(readdirSync(dir)).toEqual([]);
    expect(
      descendantsOf(service.child.pid!).filter((p) => /postgres|initdb/.test(p.cmdline)),
    ).toEqual([]);

    // An account made through the service is in this run's test database.
    const email = `start-test.${process.pid}.${Date.now()}@example.com`;
    const signUp = await service.gql(SignUpDocument, {
      email,
      password: 'correct horse battery staple',
      name: 'Via start',
    });
    expect(signUp.errors).toBeUndefined();
    const client = new Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT id FROM users WHERE email = $1`, [email]);
      expect(rows).toEqual([{ id: signUp.data!.signUp.user.id }]);
    } finally {
      await client.end();
    }

    expect(await service.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('/readyz', () => {
  it('answers 503 when the database is out of reach, while /healthz still answers 200', async () => {
    const t = await startTestServer();
    try {
      expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      await t.dataSource.destroy();
      const res = await fetch(`${t.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable' });
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.server.close().catch(() => undefined);
      if (t.dataSource.isInitialized) await t.dataSource.destroy();
    }
  });
});

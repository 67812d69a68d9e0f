import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

const CHANNEL = 'empress_api_key_changed';
const ACK_CHANNEL = 'empress_api_key_changed_ack';
/** The name a feed connection carries while, and only while, it listens: the instances counted. */
const LISTENING = 'empress-api-key-feed';
const NOT_LISTENING = 'empress-api-key-feed-idle';
const PENDING_TTL_MS = 30_000;
/** How long a stopping feed goes on acking changes whose writers counted it just before it left. */
const STOP_GRACE_MS = 200;

/** The listening connection, with its queries run one at a time (pg 9 will not queue them for us). */
interface Connection {
  client: Client;
  /** its backend pid: the name writers list it by, and the one its acks carry */
  pid: number;
  run(sql: string, params?: unknown[]): Promise<void>;
}

function serialized(client: Client): Connection['run'] {
  let last: Promise<unknown> = Promise.resolve();
  return (sql, params) => {
    const next = last.then(() => client.query(sql, params));
    last = next.catch(() => undefined);
    return next.then(() => undefined);
  };
}

/**
 * What changed: one key (by its public key), or what every key of a team may do (a member's
 * permissions changed, so the keys they own may do more or less).
 */
export interface KeyChange {
  key?: string;
  team?: string;
}

interface Waiter {
  /** backend pids of the listeners that have not acked yet */
  pending: Set<number>;
  heard: Promise<void>;
  release: () => void;
}

/**
 * Tells every instance of the service that a key changed (revoked, regenerated, updated,
 * transferred) or that the permissions of a team's members did (which bound its keys), through
 * PostgreSQL LISTEN/NOTIFY on a dedicated connection per instance, and waits until every instance
 * has dropped the key from its cache before the mutation returns.
 *
 * 1. Inside the mutation's transaction: list the listening instances (the backend pids of their
 *    feed connections in pg_stat_activity) and queue the notification, which PostgreSQL delivers
 *    exactly when the change commits (never for a rolled-back one).
 * 2. Each instance, on hearing it, evicts the key and only then acks on the ack channel, naming
 *    its own connection's pid.
 * 3. The mutation returns once every instance listed has acked (or after a timeout, for an
 *    instance that hangs with its connection open). So "revoke on A, then the very next request
 *    on B" is refused, however busy B is. Acks are counted by pid, not by number: an instance
 *    that started after the listing acks too, and must not stand in for one that has not.
 *
 * A feed connection carries the LISTENING application name only while it really listens: it is
 * renamed after its LISTEN and before it leaves. A connection still starting up (or shutting
 * down) listed by a writer would never ack, and stall every change for the whole timeout.
 *
 * While the listening connection is down, `healthy` is false and caches must not be trusted.
 */
export class ApiKeyChangeFeed {
  private connection: Connection | null = null;
  /** told of each change; null: anything may have changed (drop everything) */
  private readonly handlers: ((change: KeyChange | null) => void)[] = [];
  /** notifications sent by this instance and not yet acked by every listener listed, by nonce */
  private readonly waiters = new Map<string, Waiter>();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  healthy = false;

  constructor(private readonly connectionString: string) {}

  onChange(handler: (change: KeyChange | null) => void): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.healthy = false;
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      // Leave the list first, then go on acking for a moment: a writer that listed this instance
      // just before commits within milliseconds, and would otherwise wait out its timeout.
      await connection.run(`SET application_name = '${NOT_LISTENING}'`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS));
      await connection.run('UNLISTEN *').catch(() => undefined);
      await connection.client.end().catch(() => undefined);
    }
    for (const waiter of [...this.waiters.values()]) waiter.release();
    this.waiters.clear();
  }

  /**
   * Runs `work` in one transaction; the changes it reports through `tell` reach every instance
   * when it commits, and this returns once each instance has dropped what they name.
   */
  async transaction<T>(
    dataSource: DataSource,
    work: (m: EntityManager, tell: (change: KeyChange) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const nonces: string[] = [];
    const result = await dataSource.transaction((m) =>
      work(m, async (change) => void nonces.push(await this.notify(m, change))),
    );
    await Promise.all(nonces.map((nonce) => this.delivered(nonce)));
    return result;
  }

  /** Queue a notification in the current transaction; returns a token for `delivered`. */
  async notify(manager: EntityManager, change: KeyChange): Promise<string> {
    const nonce = randomUUID();
    const listeners: { pid: number }[] = await manager.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [LISTENING],
    );
    // Registered before the commit: acks can arrive before the committing code gets to delivered().
    this.expect(
      nonce,
      listeners.map((l) => l.pid),
    );
    await manager.query(`SELECT pg_notify($1, $2)`, [
      CHANNEL,
      JSON.stringify({ key: change.key, team: change.team, nonce }),
    ]);
    return nonce;
  }

  /** Resolves once every listening instance has evicted the key (or after timeoutMs). */
  delivered(nonce: string, timeoutMs = 2_000): Promise<void> {
    const waiter = this.waiters.get(nonce);
    if (!waiter) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      void waiter.heard.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Start waiting for the acks of `nonce` from these listeners; forgotten after PENDING_TTL_MS (a rolled-back transaction). */
  private expect(nonce: string, listeners: number[]): void {
    let release!: () => void;
    const heard = new Promise<void>((resolve) => (release = resolve));
    const forget = setTimeout(() => done(), PENDING_TTL_MS);
    forget.unref();
    const done = () => {
      clearTimeout(forget);
      this.waiters.delete(nonce);
      release();
    };
    this.waiters.set(nonce, { pending: new Set(listeners), heard, release: done });
    if (listeners.length === 0) done();
  }

  private onNotification(
    connection: Connection,
    channel: string,
    payloadText: string | undefined,
  ): void {
    if (channel === ACK_CHANNEL) {
      const [nonce, from] = (payloadText ?? '').split(' ');
      const waiter = this.waiters.get(nonce);
      if (waiter?.pending.delete(Number(from)) && waiter.pending.size === 0) waiter.release();
      return;
    }
    if (channel !== CHANNEL) return;
    let payload: KeyChange & { nonce?: string } = {};
    try {
      payload = JSON.parse(payloadText ?? '{}') as KeyChange & { nonce?: string };
    } catch {
      // a malformed payload still means "something changed": drop everything
    }
    const change =
      typeof payload.key === 'string' || typeof payload.team === 'string'
        ? { key: payload.key, team: payload.team }
        : null;
    for (const handler of this.handlers) handler(change);
    // Evicted: say so, so that the instance that made the change can return.
    if (payload.nonce) {
      void connection
        .run(`SELECT pg_notify($1, $2)`, [ACK_CHANNEL, `${payload.nonce} ${connection.pid}`])
        .catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.connectionString,
      application_name: NOT_LISTENING,
    });
    const connection: Connection = { client, pid: 0, run: serialized(client) };
    client.on('notification', (message) =>
      this.onNotification(connection, message.channel, message.payload),
    );
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      connection.pid = (
        await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      ).rows[0].pid;
      await connection.run(`LISTEN ${CHANNEL}`);
      await connection.run(`LISTEN ${ACK_CHANNEL}`);
      // Changes made while we were not listening are unknown: start from an empty cache.
      for (const handler of this.handlers) handler(null);
      // Only now may writers count on this instance's ack.
      await connection.run(`SET application_name = '${LISTENING}'`);
      this.connection = connection;
      this.healthy = true;
    } catch {
      await client.end().catch(() => undefined);
      this.lost(client);
    }
  }

  private lost(client: Client): void {
    if (this.connection && this.connection.client !== client) return;
    this.connection = null;
    this.healthy = false;
    for (const handler of this.handlers) handler(null);
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) void this.connect();
    }, 1_000);
    this.reconnectTimer.unref();
  }
}

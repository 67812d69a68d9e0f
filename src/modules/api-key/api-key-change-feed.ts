import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

const CHANNEL = 'empress_api_key_changed';
const ACK_CHANNEL = 'empress_api_key_changed_ack';
const APPLICATION_NAME = 'empress-api-key-feed';
const PENDING_TTL_MS = 30_000;

interface Waiter {
  expected: number;
  acks: number;
  heard: Promise<void>;
  release: () => void;
}

/**
 * Tells every instance of the service that a key changed (revoked, regenerated, updated), through
 * PostgreSQL LISTEN/NOTIFY on a dedicated connection per instance, and waits until every instance
 * has dropped the key from its cache before the mutation returns.
 *
 * 1. Inside the mutation's transaction: count the listening instances (their feed connections in
 *    pg_stat_activity) and queue the notification, which PostgreSQL delivers exactly when the
 *    change commits (never for a rolled-back one).
 * 2. Each instance, on hearing it, evicts the key and only then answers on the ack channel.
 * 3. The mutation returns once every instance counted has acked (or after a timeout, for an
 *    instance that hangs with its connection open). So "revoke on A, then the very next request
 *    on B" is refused, however busy B is.
 *
 * While the listening connection is down, `healthy` is false and caches must not be trusted.
 */
export class ApiKeyChangeFeed {
  private client: Client | null = null;
  private readonly handlers: ((key: string | null) => void)[] = [];
  /** notifications sent by this instance and not yet acked by everyone, by nonce */
  private readonly waiters = new Map<string, Waiter>();
  /** acks sent so far, in order */
  private acks: Promise<void> = Promise.resolve();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  healthy = false;

  constructor(private readonly connectionString: string) {}

  onChange(handler: (key: string | null) => void): void {
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
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
    for (const waiter of [...this.waiters.values()]) waiter.release();
    this.waiters.clear();
  }

  /** Queue a notification in the current transaction; returns a token for `delivered`. */
  async notify(manager: EntityManager, key: string): Promise<string> {
    const nonce = randomUUID();
    const [{ listeners }]: { listeners: number }[] = await manager.query(
      `SELECT count(*)::int AS listeners FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [APPLICATION_NAME],
    );
    // Registered before the commit: acks can arrive before the committing code gets to delivered().
    this.expect(nonce, Math.max(listeners, this.healthy ? 1 : 0));
    await manager.query(`SELECT pg_notify($1, $2)`, [CHANNEL, JSON.stringify({ key, nonce })]);
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

  /** Start waiting for `expected` acks of `nonce`; forgotten after PENDING_TTL_MS (a rolled-back transaction). */
  private expect(nonce: string, expected: number): void {
    let release!: () => void;
    const heard = new Promise<void>((resolve) => (release = resolve));
    const forget = setTimeout(() => done(), PENDING_TTL_MS);
    forget.unref();
    const done = () => {
      clearTimeout(forget);
      this.waiters.delete(nonce);
      release();
    };
    const waiter: Waiter = { expected, acks: 0, heard, release: done };
    this.waiters.set(nonce, waiter);
    if (expected === 0) done();
  }

  private onNotification(client: Client, channel: string, payloadText: string | undefined): void {
    if (channel === ACK_CHANNEL) {
      const waiter = payloadText ? this.waiters.get(payloadText) : undefined;
      if (waiter && ++waiter.acks >= waiter.expected) waiter.release();
      return;
    }
    if (channel !== CHANNEL) return;
    let payload: { key?: string; nonce?: string } = {};
    try {
      payload = JSON.parse(payloadText ?? '{}');
    } catch {
      // a malformed payload still means "something changed": drop everything
    }
    for (const handler of this.handlers) handler(payload.key ?? null);
    // Evicted: say so, so that the instance that made the change can return.
    // One query at a time on this connection (pg won't queue them for us from pg 9 on).
    if (payload.nonce) {
      const nonce = payload.nonce;
      this.acks = this.acks.then(() => client.query(`SELECT pg_notify($1, $2)`, [ACK_CHANNEL, nonce])).then(
        () => undefined,
        () => undefined,
      );
    }
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString, application_name: APPLICATION_NAME });
    client.on('notification', (message) => this.onNotification(client, message.channel, message.payload));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      await client.query(`LISTEN ${ACK_CHANNEL}`);
      this.client = client;
      this.healthy = true;
      // Changes made while we were not listening are unknown: start from an empty cache.
      for (const handler of this.handlers) handler(null);
    } catch {
      await client.end().catch(() => undefined);
      this.lost(client);
    }
  }

  private lost(client: Client): void {
    if (this.client && this.client !== client) return;
    this.client = null;
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

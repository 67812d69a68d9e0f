import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

const CHANNEL = 'empress_api_key_changed';
const PENDING_TTL_MS = 30_000;

/**
 * Tells every instance of the service that a key changed (revoked, regenerated, updated), through
 * PostgreSQL LISTEN/NOTIFY on a dedicated connection.
 *
 * The notification is sent inside the mutation's transaction, so PostgreSQL delivers it exactly
 * when the change commits (and never for a rolled-back one). The mutation then waits until its
 * own listener has heard it: PostgreSQL signals all listeners at commit, so by then the other
 * instances have been told too, and the mutation returns after every cache was invalidated.
 *
 * While the listening connection is down, `healthy` is false and caches must not be trusted.
 */
export class ApiKeyChangeFeed {
  private client: Client | null = null;
  private readonly handlers: ((key: string | null) => void)[] = [];
  /**
   * Notifications sent by this instance and not yet heard back, by nonce. Registered in notify(),
   * before the commit: the notification can reach our listener before the committing code gets
   * to delivered(), and it must not be missed then (that cost every such mutation the timeout).
   */
  private readonly waiting = new Map<string, () => void>();
  private readonly pending = new Map<string, Promise<void>>();
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
    for (const release of [...this.waiting.values()]) release();
    this.waiting.clear();
    this.pending.clear();
  }

  /** Queue a notification in the current transaction; returns a token for `delivered`. */
  async notify(manager: EntityManager, key: string): Promise<string> {
    const nonce = randomUUID();
    this.expect(nonce);
    await manager.query(`SELECT pg_notify($1, $2)`, [CHANNEL, JSON.stringify({ key, nonce })]);
    return nonce;
  }

  /** Resolves once our own listener received the notification (or after timeoutMs). */
  delivered(nonce: string, timeoutMs = 2_000): Promise<void> {
    const pending = this.pending.get(nonce);
    // not pending: already heard (or forgotten after PENDING_TTL_MS)
    if (!pending || !this.healthy) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      void pending.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Start waiting for `nonce`; forgotten after PENDING_TTL_MS if never heard (a rolled-back transaction). */
  private expect(nonce: string): void {
    let release!: () => void;
    const heard = new Promise<void>((resolve) => (release = resolve));
    const forget = setTimeout(() => done(), PENDING_TTL_MS);
    forget.unref();
    const done = () => {
      clearTimeout(forget);
      this.waiting.delete(nonce);
      this.pending.delete(nonce);
      release();
    };
    this.waiting.set(nonce, done);
    this.pending.set(nonce, heard);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString, application_name: 'empress-api-key-feed' });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL) return;
      let payload: { key?: string; nonce?: string } = {};
      try {
        payload = JSON.parse(message.payload ?? '{}');
      } catch {
        // a malformed payload still means "something changed": drop everything
      }
      for (const handler of this.handlers) handler(payload.key ?? null);
      if (payload.nonce) this.waiting.get(payload.nonce)?.();
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
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

import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A named right to run something, held by one caller across every instance until released. */
export interface Lease {
  readonly name: string;
  release(): Promise<void>;
}

const DEFAULT_TTL_MS = 30_000;

/**
 * Leases in the operation_leases table: one row per name, with a holder and an expiry. Taking one
 * is a single statement (no connection or transaction is held while the work runs); the holder
 * renews it every third of its lifetime, and a holder that dies (a crashed instance) loses it
 * when it expires. Released leases are deleted; an expired one is taken over in place, so the
 * table holds at most one row per name ever used.
 */
export class OperationLeases {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  /** The lease, or null when someone else holds it. */
  async take(name: string): Promise<Lease | null> {
    const holder = randomUUID();
    const taken: unknown[] = await this.dataSource.query(
      `INSERT INTO operation_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE operation_leases.expires_at < now()
       RETURNING holder`,
      [name, holder, this.ttlMs],
    );
    return taken.length ? this.held(name, holder) : null;
  }

  /** The first of `names` that is free (e.g. one of N places), or null when all are held. */
  async takeAny(names: string[]): Promise<Lease | null> {
    for (const name of names) {
      const lease = await this.take(name);
      if (lease) return lease;
    }
    return null;
  }

  /** Waits up to `waitMs` for the lease (an operator's command, which would rather wait than fail). */
  async takeWaiting(name: string, waitMs: number, everyMs = 500): Promise<Lease | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lease = await this.take(name);
      if (lease || Date.now() >= deadline) return lease;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  private held(name: string, holder: string): Lease {
    const renew = setInterval(
      () => {
        this.dataSource
          .query(
            `UPDATE operation_leases SET expires_at = now() + $3 * interval '1 millisecond' WHERE name = $1 AND holder = $2`,
            [name, holder, this.ttlMs],
          )
          .catch(() => undefined); // out of reach: the lease expires, which is what it is for
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
    );
    renew.unref();
    let released = false;
    return {
      name,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.dataSource
          .query(`DELETE FROM operation_leases WHERE name = $1 AND holder = $2`, [name, holder])
          .catch(() => undefined);
      },
    };
  }
}

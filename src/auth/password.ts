import argon2 from 'argon2';
import { rateLimited } from '../errors';

/**
 * argon2id at OWASP's recommended minimum (m=19 MiB, t=2, p=1). The parameters are stored in
 * each hash, so raising them later keeps old hashes verifiable.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** One hash, unbounded: for start-up (the bootstrap admin) and tests. Requests go through PasswordHasher. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

async function verifyHash(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of a random password nobody kept, with OPTIONS: verifying against it costs what a real check costs. */
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$TS6fgOlS8zge2sHsnlx4sg$dDdrOHfX/dHGLvLSKajTcnD6bU3fz2nVcv8Hb1urYHo';

export interface HashingLimits {
  /** argon2 operations running at once */
  concurrency: number;
  /** operations waiting for a turn; one more is refused at once */
  queue: number;
}

export type HashingEvent = 'hash' | 'verify' | 'refused';

/**
 * Every argon2 operation a request asks for, bounded: at most `concurrency` run at once (each
 * holds 19 MiB and a libuv thread), at most `queue` wait, and one more is answered RATE_LIMITED
 * at once. A flood of sign-ins then costs a bounded amount of memory and CPU and gets fast
 * refusals, instead of making every sign-in, the flood's and everyone else's, wait behind it.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** told of every operation started and every refusal (metrics) */
  observer?: (event: HashingEvent) => void;

  constructor(private readonly limits: HashingLimits) {}

  /** operations waiting for a turn right now */
  get depth(): number {
    return this.waiting.length;
  }

  hash(password: string): Promise<string> {
    return this.run('hash', () => argon2.hash(password, OPTIONS));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run('verify', () => verifyHash(hash, password));
  }

  /**
   * The work of a verification, for an email that has no account: "no such user" then takes as
   * long as "wrong password", and the two can't be told apart by timing.
   */
  async burn(password: string): Promise<void> {
    await this.verify(DUMMY_HASH, password);
  }

  private async run<T>(event: 'hash' | 'verify', work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.concurrency) {
      if (this.waiting.length >= this.limits.queue) {
        this.observer?.('refused');
        throw rateLimited('Too many sign-ins and sign-ups at once; try again in a moment');
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    // A turn is handed over from the operation that ends (below) without `running` going down.
    try {
      this.observer?.(event);
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

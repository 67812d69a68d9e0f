import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Heavy work (chain walks, export batches, large audit pages) shares two things fairly with
 * everything else on this instance:
 *
 * - pool connections: each heavy query takes one of a few places (`run`), then gives it back.
 *   Heavy queries queue for a place instead of taking the pool from everyone else, so a sign-in
 *   or a `{ me { id } }` always finds a connection;
 * - the event loop: CPU-heavy steps (hashing a batch of a walk) run in short slices (`slice`),
 *   one at a time across the instance, each followed by a rest as long as itself. Heavy work
 *   gets at most about half of the loop, and a request waits at most one slice between its steps.
 */
export class HeavyWorkGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private slices: Promise<unknown> = Promise.resolve();

  constructor(
    readonly places: number,
    private readonly shareTheLoop = true,
  ) {}

  /** Runs a heavy query with a place at the gate. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.places)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // hand the place straight to the next in line, or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Runs a short CPU-heavy step (a few milliseconds) in its turn, then rests as long as it took. */
  slice<T>(work: () => T): Promise<T> {
    if (!this.shareTheLoop) return Promise.resolve().then(work);
    const turn = this.slices.then(async () => {
      const started = performance.now();
      try {
        return work();
      } finally {
        await sleep(Math.max(1, performance.now() - started));
      }
    });
    this.slices = turn.catch(() => undefined);
    return turn;
  }

  /** places taken now, and queries waiting for one (for metrics) */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/** A gate that makes no one wait: for the operator's commands, which have the database to themselves. */
export const UNGATED = new HeavyWorkGate(Number.MAX_SAFE_INTEGER, false);

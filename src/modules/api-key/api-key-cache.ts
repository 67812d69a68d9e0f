import type { DataSource } from 'typeorm';
import type { ApiKeyChangeFeed } from './api-key-change-feed';
import { ApiKey } from './api-key.entity';

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Keys by their public identifier, cached for verification so that a gateway's steady stream of
 * good credentials costs no query. Any change to a key (revoke, regenerate, update) is pushed by
 * the change feed and evicts it on every instance; entries also expire after 30 s, and nothing is
 * cached while the feed is down.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: ApiKey; expires: number }>();
  /** bumped by every change notification: a read that overlapped one is not cached */
  private generation = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly feed: ApiKeyChangeFeed,
  ) {
    feed.onChange((key) => {
      this.generation++;
      if (key) this.entries.delete(key);
      else this.entries.clear();
    });
  }

  async find(publicKey: string): Promise<ApiKey | null> {
    const hit = this.entries.get(publicKey);
    if (hit && hit.expires > Date.now() && this.feed.healthy) return hit.key;
    if (hit) this.entries.delete(publicKey);
    const generation = this.generation;
    const key = await this.dataSource.getRepository(ApiKey).findOneBy({ key: publicKey });
    // A change that landed while we were reading may or may not be in `key`: don't keep it.
    if (key && this.feed.healthy && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(publicKey, { key, expires: Date.now() + TTL_MS });
    }
    return key;
  }

  evict(publicKey: string): void {
    this.entries.delete(publicKey);
  }
}

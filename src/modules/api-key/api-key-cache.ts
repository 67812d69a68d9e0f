import type { DataSource } from 'typeorm';
import { effectiveScopes, keyPermissions } from '../../permissions/key-permissions';
import { personPermissions, type PermissionSet } from '../../permissions/member-permissions';
import { preparedQuery } from '../prepared-query';
import type { ApiKeyChangeFeed, KeyChange } from './api-key-change-feed';
import { hydrate } from '../hydrate';
import { ApiKey } from './api-key.entity';

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * A key as verification needs it: the row, and what it can do given what its owner holds in its
 * team now (worked out once per read, not on every verification of a cached key).
 */
export interface VerifiableKey {
  key: ApiKey;
  /** its effective scopes: application scopes, and API permissions its owner holds */
  scopes: string[];
  /** the API permissions it may use now; none once its owner has left the team */
  permissions: PermissionSet;
}

/**
 * Keys by their public identifier, with their owner's permissions, cached for verification so
 * that a gateway's steady stream of good credentials costs no query. The change feed evicts, on
 * every instance, a key that changed (revoke, regenerate, update, transfer) and every key of a
 * team whose members' permissions changed; entries also expire after 30 s, and nothing is cached
 * while the feed is down.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { found: VerifiableKey; expires: number }>();
  /** bumped by every change notification: a read that overlapped one is not cached */
  private generation = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly feed: ApiKeyChangeFeed,
  ) {
    feed.onChange((change) => this.evict(change));
  }

  async find(publicKey: string): Promise<VerifiableKey | null> {
    const hit = this.entries.get(publicKey);
    if (hit && hit.expires > Date.now() && this.feed.healthy) return hit.found;
    if (hit) this.entries.delete(publicKey);
    const generation = this.generation;
    const found = await this.load(publicKey);
    // A change that landed while we were reading may or may not be in `found`: don't keep it.
    if (found && this.feed.healthy && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(publicKey, { found, expires: Date.now() + TTL_MS });
    }
    return found;
  }

  /**
   * The key and its owner's standing in one prepared statement, written out rather than built by
   * the query builder: this is the cold path of every verification, and building, planning and
   * mapping the query cost more than running it.
   */
  private async load(publicKey: string): Promise<VerifiableKey | null> {
    const rows: (Record<string, unknown> & {
      owner_is_platform_admin: boolean | null;
      owner_permissions: string[] | null;
    })[] = await preparedQuery(
      this.dataSource,
      `SELECT k.*, owner.is_platform_admin AS owner_is_platform_admin,
              mp.permissions AS owner_permissions
         FROM api_keys k
         LEFT JOIN users owner ON owner.id = k.owner_id
         LEFT JOIN member_permissions mp ON mp.team_id = k.team_id AND mp.user_id = k.owner_id
        WHERE k.key = $1`,
      [publicKey],
    );
    if (rows.length === 0) return null;
    const [row] = rows;
    const { owner_is_platform_admin: isPlatformAdmin, owner_permissions: permissions } = row;
    const owner =
      isPlatformAdmin === null
        ? null
        : personPermissions({ isPlatformAdmin }, permissions ? new Set(permissions) : null);
    const key = hydrate(this.dataSource, ApiKey, row);
    return {
      key,
      // frozen: every verification of the cached key hands out this one array
      scopes: Object.freeze(effectiveScopes(key.scopes, owner)) as string[],
      permissions: keyPermissions(key.scopes, owner),
    };
  }

  private evict(change: KeyChange | null): void {
    this.generation++;
    if (!change) return this.entries.clear();
    if (change.key) this.entries.delete(change.key);
    if (change.team) {
      for (const [publicKey, entry] of this.entries)
        if (entry.found.key.teamId === change.team) this.entries.delete(publicKey);
    }
  }
}

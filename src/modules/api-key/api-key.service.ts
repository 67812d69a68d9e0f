import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { sha256 } from '../../auth/tokens';
import { badInput, conflict, forbidden, notFound } from '../../errors';
import { apiPermissionsOf } from '../../permissions/key-permissions';
import { keyActionRefusal, type KeyAction } from '../../permissions/key-policy';
import { missingFrom } from '../../permissions/member-permissions';
import { isUuid, optionalText, requireId, requireName } from '../../validation';
import type { AuditAction } from '../audit/audit-actions';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { Membership } from '../team/membership.entity';
import { lockTeam, permissionsOfMember } from '../team/team-permissions';
import { checkAllowedIps, checkExpiry, checkScopes } from './api-key-input';
import { lastFour, newApiKey, newApiSecret } from './api-key-format';
import type { ApiKeyChangeFeed } from './api-key-change-feed';
import { apiKeyWhere, type ApiKeyFilter } from './api-key-filter';
import { ApiKey } from './api-key.entity';
import type { CreateApiKeyInput, UpdateApiKeyInput } from './api-key.types';

export interface KeyWithSecret {
  apiKey: ApiKey;
  secret: string;
}

export interface KeyPage {
  edges: { cursor: string; node: ApiKey }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const MAX_API_KEY_PAGE = 100;

/**
 * The life of an API key: create (secret shown once), list, update, regenerate (old secret dead
 * at once), revoke, transfer to another member. Who may call each is first decided by the
 * permission rules; each change asks the same key policy (key-policy.ts) again here, on the
 * locked row. Every change notifies all instances through the change feed before it returns.
 */
export class ApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly feed: ApiKeyChangeFeed,
  ) {}

  async create(actor: Actor, input: CreateApiKeyInput): Promise<KeyWithSecret> {
    const teamId = requireId(input.teamId, 'teamId');
    const name = requireName(input.name, 'name');
    const description = optionalText(input.description, 'description');
    const expiresAt = checkExpiry(input.expiresAt);
    const allowedIps = checkAllowedIps(input.allowedIps ?? []);
    const scopes = checkScopes(input.scopes ?? [], await actor.access.held(teamId));
    const creatorId = personOf(actor).user.id;
    return this.dataSource.transaction(async (m) => {
      const secret = newApiSecret();
      const apiKey = await m.save(
        m.create(ApiKey, {
          teamId,
          name,
          description,
          key: newApiKey(),
          secretDigest: sha256(secret),
          secretLast4: lastFour(secret),
          secretVersion: 1,
          scopes,
          allowedIps,
          expiresAt,
          createdById: creatorId,
          ownerId: creatorId,
        }),
      );
      await this.audit.record(m, actor, {
        teamId,
        action: 'apiKey.created',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'ApiKey',
        targetId: apiKey.id,
        metadata: {
          key: apiKey.key,
          name,
          scopes,
          allowedIps,
          expiresAt,
          secretLast4: apiKey.secretLast4,
        },
      });
      return { apiKey, secret };
    });
  }

  async update(actor: Actor, id: string, input: UpdateApiKeyInput): Promise<ApiKey> {
    const changes: Partial<ApiKey> = {};
    if (input.name != null) changes.name = requireName(input.name, 'name');
    if (input.description !== undefined)
      changes.description = optionalText(input.description, 'description');
    if (input.expiresAt !== undefined) changes.expiresAt = checkExpiry(input.expiresAt);
    if (input.allowedIps != null) changes.allowedIps = checkAllowedIps(input.allowedIps);
    return this.changeKey(actor, id, 'update', 'apiKey.updated', async (m, key) => {
      if (input.scopes != null)
        changes.scopes = checkScopes(input.scopes, await actor.access.held(key.teamId));
      const before = Object.fromEntries(
        Object.keys(changes).map((field) => [field, key[field as keyof ApiKey]]),
      );
      Object.assign(key, changes);
      const saved = await m.save(key);
      return { result: saved, metadata: { changed: Object.keys(changes), before, after: changes } };
    });
  }

  /**
   * A new secret in one UPDATE under the row lock: concurrent regenerations queue on the lock,
   * each bumps the version, and exactly the last one committed is valid.
   */
  async regenerate(actor: Actor, id: string): Promise<KeyWithSecret> {
    const secret = newApiSecret();
    const apiKey = await this.changeKey(
      actor,
      id,
      'regenerate',
      'apiKey.secretRegenerated',
      async (m, key) => {
        await m.query(
          `UPDATE api_keys
            SET secret_digest = $2, secret_last4 = $3, secret_version = secret_version + 1,
                secret_regenerated_at = now(), updated_at = now()
          WHERE id = $1`,
          [key.id, sha256(secret), lastFour(secret)],
        );
        const fresh = await m.getRepository(ApiKey).findOneByOrFail({ id: key.id });
        return {
          result: fresh,
          metadata: { secretVersion: fresh.secretVersion, secretLast4: fresh.secretLast4 },
        };
      },
    );
    return { apiKey, secret };
  }

  async revoke(actor: Actor, id: string): Promise<ApiKey> {
    return this.changeKey(actor, id, 'revoke', 'apiKey.revoked', async (m, key) => {
      const alreadyRevoked = key.revokedAt !== null;
      if (!alreadyRevoked) {
        key.revokedAt = new Date();
        await m.save(key);
      }
      return { result: key, metadata: { key: key.key, alreadyRevoked } };
    });
  }

  /**
   * Hand a key to another member of its team, who becomes answerable for it. The receiver must
   * hold every API permission in its scopes: nobody obtains a key that can do more than they can.
   */
  async transfer(actor: Actor, id: string, toMembershipId: string): Promise<ApiKey> {
    return this.changeKey(actor, id, 'transfer', 'apiKey.transferred', async (m, key) => {
      await lockTeam(m, key.teamId);
      const to = await m
        .getRepository(Membership)
        .findOneBy({ id: toMembershipId, teamId: key.teamId });
      if (!to) throw notFound('Membership');
      if (missingFrom(await permissionsOfMember(m, to), apiPermissionsOf(key.scopes)).length > 0) {
        throw forbidden(
          "The new owner must hold every permission of this API that the key's scopes name",
        );
      }
      const from = key.ownerId;
      key.ownerId = to.userId;
      await m.save(key);
      return {
        result: key,
        metadata: { fromUserId: from, toUserId: to.userId, toMembershipId: to.id },
      };
    });
  }

  async get(id: string): Promise<ApiKey> {
    const key = await this.dataSource.getRepository(ApiKey).findOneBy({ id });
    if (!key) throw notFound('ApiKey');
    return key;
  }

  /** Newest first; keyset pagination on (created_at, id), so pages hold steady as keys are added. */
  async list(
    teamId: string,
    options: ApiKeyFilter & { first?: number | null; after?: string | null },
  ): Promise<KeyPage> {
    const first = options.first ?? 50;
    if (!Number.isInteger(first) || first < 0) throw badInput('first must be 0 or more', 'first');
    const limit = Math.min(first, MAX_API_KEY_PAGE);
    const { where, params } = apiKeyWhere(teamId, options);
    const [{ total }]: { total: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM api_keys k WHERE ${where}`,
      params,
    );

    let pageWhere = where;
    const pageParams = [...params];
    if (options.after) {
      const afterId = decodeCursor(options.after);
      await this.requireKeyOfTeam(teamId, afterId);
      pageParams.push(afterId);
      // compared in SQL: created_at has microseconds, which a JavaScript Date would round off
      pageWhere += ` AND (k.created_at, k.id) < (SELECT created_at, id FROM api_keys WHERE id = $${pageParams.length} AND team_id = $1)`;
    }
    pageParams.push(limit + 1);
    const ids: { id: string }[] = await this.dataSource.query(
      `SELECT k.id FROM api_keys k WHERE ${pageWhere} ORDER BY k.created_at DESC, k.id DESC LIMIT $${pageParams.length}`,
      pageParams,
    );
    const pageIds = ids.slice(0, limit).map((r) => r.id);
    const keys = pageIds.length
      ? await this.dataSource
          .getRepository(ApiKey)
          .createQueryBuilder('k')
          .whereInIds(pageIds)
          .getMany()
      : [];
    const byId = new Map(keys.map((k) => [k.id, k]));
    const edges = pageIds.map((id) => ({ cursor: encodeCursor(id), node: byId.get(id)! }));
    return {
      edges,
      pageInfo: {
        hasNextPage: ids.length > limit,
        endCursor: edges.length ? edges[edges.length - 1].cursor : null,
      },
      totalCount: total,
    };
  }

  /**
   * A cursor names a key of this team. Any other key (another team's, one that never was) is not a
   * cursor of this list: bad input, not a silently empty page.
   */
  private async requireKeyOfTeam(teamId: string, keyId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM api_keys WHERE id = $1 AND team_id = $2`,
      [keyId, teamId],
    );
    if (rows.length === 0) throw badInput('after is not a cursor of this list', 'after');
  }

  /**
   * The shared frame of every change: lock the row, ask the key policy whether the caller may do
   * this to this key (again: the row may have changed since the permission rule looked), apply
   * the change, write the audit row and the change notification in the same transaction, and
   * return only once the other instances have been told.
   */
  private async changeKey<T>(
    actor: Actor,
    id: string,
    action: KeyAction,
    auditAction: AuditAction,
    apply: (
      m: EntityManager,
      key: ApiKey,
    ) => Promise<{ result: T; metadata: Record<string, unknown> }>,
  ): Promise<T> {
    return this.feed.transaction(this.dataSource, async (m, tell) => {
      const key = await m
        .getRepository(ApiKey)
        .createQueryBuilder('k')
        .setLock('pessimistic_write')
        .where('k.id = :id', { id })
        .getOne();
      if (!key) throw notFound('ApiKey');
      const refusal = keyActionRefusal(
        action,
        { userId: personOf(actor).user.id, permissions: await actor.access.held(key.teamId) },
        key,
      );
      if (refusal) throw forbidden(refusal);
      if (key.revokedAt && action !== 'revoke')
        throw conflict('This key is revoked; revoked keys cannot be changed');
      const { result, metadata } = await apply(m, key);
      await this.audit.record(m, actor, {
        teamId: key.teamId,
        action: auditAction,
        outcome: AuditOutcome.SUCCESS,
        targetType: 'ApiKey',
        targetId: key.id,
        metadata,
      });
      await tell({ key: key.key });
      return result;
    });
  }
}

function encodeCursor(id: string): string {
  return Buffer.from(`ApiKey:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = decoded.startsWith('ApiKey:') ? decoded.slice(7) : '';
  if (!isUuid(id)) throw badInput('after is not a cursor of this list', 'after');
  return id.toLowerCase();
}

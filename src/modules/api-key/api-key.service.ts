import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { sha256 } from '../../auth/tokens';
import { badInput, conflict, forbidden, notFound } from '../../errors';
import { apiPermissionsOf } from '../../permissions/key-permissions';
import { keyActionRefusal, type KeyAction } from '../../permissions/key-policy';
import { missingFrom } from '../../permissions/member-permissions';
import { optionalText, requireId, requireName } from '../../validation';
import type { AuditAction } from '../audit/audit-actions';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { Membership } from '../team/membership.entity';
import { lockTeam, permissionsOfMember } from '../team/team-permissions';
import { checkAllowedIps, checkExpiry, checkScopes } from './api-key-input';
import { lastFour, newApiKey, newApiSecret } from './api-key-format';
import type { ApiKeyChangeFeed } from './api-key-change-feed';
import type { ApiKeyFilter } from './api-key-filter';
import { readKeyPage, type KeyPage } from './api-key-page';
import { ApiKey, RevocationReason } from './api-key.entity';
import { checkRateLimit } from './rate-limit.types';
import { checkCredits, NO_CREDITS, type CreditColumns } from './usage-credits.types';
import type { ApiKeyPolicyService } from '../api-key-policy/api-key-policy.service';
import { breachesOf, type Breach } from '../api-key-policy/policy-breaches';
import type { CreateApiKeyInput, UpdateApiKeyInput } from './api-key.types';

export interface KeyWithSecret {
  apiKey: ApiKey;
  secret: string;
}

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
    private readonly policies: ApiKeyPolicyService,
  ) {}

  async create(actor: Actor, input: CreateApiKeyInput): Promise<KeyWithSecret> {
    const teamId = requireId(input.teamId, 'teamId');
    const name = requireName(input.name, 'name');
    const description = optionalText(input.description, 'description');
    const expiresAt = checkExpiry(input.expiresAt);
    const allowedIps = checkAllowedIps(input.allowedIps ?? []);
    const scopes = checkScopes(input.scopes ?? [], await actor.access.held(teamId));
    const givenRateLimit = input.rateLimit ? checkRateLimit(input.rateLimit) : null;
    const credits = input.credits ? checkCredits(input.credits) : NO_CREDITS;
    const creatorId = personOf(actor).user.id;
    return this.dataSource.transaction(async (m) => {
      const terms = { createdAt: new Date(), expiresAt, allowedIps, scopes };
      const policy = await this.policies.of(m, teamId);
      refuseBreaches(breachesOf(policy, terms));
      const rateLimit = givenRateLimit ?? policy.defaultRateLimit;
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
          rateLimit,
          ...credits,
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
          ...(rateLimit ? { rateLimit } : {}),
          ...(input.credits ? { credits: apiKey.credits } : {}),
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
    if (input.clearRateLimit && input.rateLimit)
      throw badInput('Give rateLimit or clearRateLimit, not both', 'rateLimit');
    if (input.clearRateLimit) changes.rateLimit = null;
    else if (input.rateLimit) changes.rateLimit = checkRateLimit(input.rateLimit);
    const credits = creditChanges(input);
    return this.changeKey(actor, id, 'update', 'apiKey.updated', async (m, key) => {
      if (input.scopes != null)
        changes.scopes = checkScopes(input.scopes, await actor.access.held(key.teamId));
      const before = Object.fromEntries(
        Object.keys(changes).map((field) => [field, key[field as keyof ApiKey]]),
      );
      if (credits) before.credits = key.credits;
      Object.assign(key, changes, credits);
      // the rules bind what this change sets; a key made before them may break others, listed
      // as out of policy (policyBreaches) and never changed behind its owner's back
      const changed = new Set(Object.keys(changes));
      refuseBreaches(
        breachesOf(await this.policies.of(m, key.teamId), key).filter((b) => changed.has(b.field)),
      );
      const saved = await m.save(key);
      const after = credits ? { ...changes, credits: saved.credits } : changes;
      return { result: saved, metadata: { changed: Object.keys(after), before, after } };
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
        key.revocationReason = RevocationReason.MANUAL;
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

  /** A page of the team's keys, newest first (api-key-page.ts: one statement whatever its size). */
  list(
    teamId: string,
    options: ApiKeyFilter & { first?: number | null; after?: string | null },
  ): Promise<KeyPage> {
    return readKeyPage(this.dataSource, teamId, options);
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

/** The credit columns an update sets (new credits, or none: unlimited); undefined: unchanged. */
function creditChanges(input: UpdateApiKeyInput): CreditColumns | undefined {
  if (input.clearCredits && input.credits)
    throw badInput('Give credits or clearCredits, not both', 'credits');
  if (input.clearCredits) return NO_CREDITS;
  return input.credits ? checkCredits(input.credits) : undefined;
}

/** The first rule broken, as the BAD_USER_INPUT that names it and the field to fix. */
function refuseBreaches(breaches: readonly Breach[]): void {
  if (breaches.length) throw badInput(breaches[0].message, breaches[0].field);
}

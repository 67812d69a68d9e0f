import type { DataSource } from 'typeorm';
import type { Actor } from '../../actor';
import { ANONYMOUS } from '../../auth/principal';
import { digestsEqual, sha256 } from '../../auth/tokens';
import { badInput, rateLimited } from '../../errors';
import type { LeakReportLimits } from '../../security/leak-report-limits';
import { storable } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import type { ApiKeyChangeFeed } from './api-key-change-feed';
import { ApiKey, LEAK_SOURCE_MAX, RevocationReason } from './api-key.entity';

/** how a secret was reported: reportLeakedSecret, or GitHub's secret scanning */
export type ReportedVia = 'report' | 'github';

export interface LeakReport {
  secret: string;
  /** where it was found, as the reporter says */
  url?: string | null;
}

export interface LeakOutcome {
  /** the secret is the current secret of one of our keys, revoked before or by this report */
  ours: boolean;
  /** this report revoked the key */
  revoked: boolean;
}

/** longer than any secret of ours by far; a longer one is refused as bad input */
export const REPORTED_SECRET_MAX = 200;
export const REPORTED_URL_MAX = 2000;

// Control and format characters (bidirectional overrides, zero-width) have no place in an
// address shown on a key's page.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
// Anything shaped like one of our secrets, whoever's: never kept in the place a leak was found.
const SECRET_SHAPED = /emps_[0-9A-Za-z]{49}/g;

/**
 * Where a leaked secret was found, as it is kept and shown: without the secret (a reporter may
 * paste an address that holds it) or anything shaped like one, without invisible characters, cut
 * to LEAK_SOURCE_MAX characters; null for nothing.
 */
export function leakSourceOf(url: string | null | undefined, secret: string): string | null {
  if (typeof url !== 'string') return null;
  let text = url;
  for (const form of [secret, secret.replace(/^emps_/, '')])
    if (form.length >= 8) text = text.split(form).join('[secret]');
  text = text.replace(SECRET_SHAPED, '[secret]').replace(INVISIBLE, '').trim();
  text = storable(text.slice(0, LEAK_SOURCE_MAX));
  return text === '' ? null : text;
}

/**
 * Secrets reported as found in public: by anyone (reportLeakedSecret, no credentials needed) or by
 * GitHub's secret scanning (POST /v1/secret-scanning/github). Each is looked up by its SHA-256
 * digest, the only form the service keeps; a live key whose current secret it is gets revoked at
 * once, on every instance (through the change feed, as every key change), with its reason
 * (LEAKED) and where it was found, and an `apiKey.leaked` row in its team's chain. The reporter
 * is recorded as an anonymous caller with its address; the secret never is.
 */
export class LeakedSecretService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly feed: ApiKeyChangeFeed,
    private readonly limits: LeakReportLimits,
  ) {}

  /**
   * reportLeakedSecret: true, always, whatever the secret was (ours, live, revoked, unknown or
   * garbage), once the input has a sane size and the caller's address is within its limit.
   */
  async reportOne(actor: Actor, secret: string, url: string | null | undefined): Promise<true> {
    if (secret.length > REPORTED_SECRET_MAX) throw badInput('secret is too long', 'secret');
    if (url != null && url.length > REPORTED_URL_MAX) throw badInput('url is too long', 'url');
    if (!(await this.limits.admit(actor.ip)))
      throw rateLimited('Too many reports from this address; try again later');
    await this.report(actor, [{ secret, url }], 'report');
    return true;
  }

  /**
   * Looks every secret up by its digest in one statement (the same work for a secret of ours and
   * for garbage: a checksum that fails is not a shortcut here), and revokes each live key found.
   * Says, for each report in its order, whether the secret was ours and whether it revoked a key.
   */
  async report(
    actor: Actor,
    reports: readonly LeakReport[],
    via: ReportedVia,
  ): Promise<LeakOutcome[]> {
    const digests = reports.map((r) => sha256(r.secret));
    const found: { id: string; secret_digest: Buffer; revoked: boolean }[] =
      digests.length === 0
        ? []
        : await this.dataSource.query(
            `SELECT id, secret_digest, revoked_at IS NOT NULL AS revoked
               FROM api_keys WHERE secret_digest = ANY($1::bytea[])`,
            [digests],
          );
    const outcomes: LeakOutcome[] = [];
    for (const [i, { secret, url }] of reports.entries()) {
      const key = found.find((row) => digestsEqual(row.secret_digest, digests[i]));
      if (!key) {
        outcomes.push({ ours: false, revoked: false });
        continue;
      }
      const revoked =
        !key.revoked &&
        (await this.revoke(actor, key.id, digests[i], leakSourceOf(url, secret), via));
      if (revoked) key.revoked = true;
      outcomes.push({ ours: true, revoked });
    }
    return outcomes;
  }

  /**
   * Revokes the key as leaked, under its row lock, if its current secret is still the one reported
   * and nobody revoked it meanwhile; returns once every instance has dropped it from its cache.
   */
  private revoke(
    actor: Actor,
    id: string,
    digest: Buffer,
    leakSource: string | null,
    via: ReportedVia,
  ): Promise<boolean> {
    return this.feed.transaction(this.dataSource, async (m, tell) => {
      const key = await m
        .getRepository(ApiKey)
        .createQueryBuilder('k')
        .setLock('pessimistic_write')
        .where('k.id = :id', { id })
        .getOne();
      if (!key || key.revokedAt || !digestsEqual(key.secretDigest, digest)) return false;
      key.revokedAt = new Date();
      key.revocationReason = RevocationReason.LEAKED;
      key.leakSource = leakSource;
      await m.save(key);
      // whoever reports, signed in or not, reports as nobody in particular: only the address counts
      await this.audit.record(
        m,
        { ...actor, principal: ANONYMOUS },
        {
          teamId: key.teamId,
          action: 'apiKey.leaked',
          outcome: AuditOutcome.SUCCESS,
          targetType: 'ApiKey',
          targetId: key.id,
          metadata: { key: key.key, foundAt: leakSource, reportedVia: via },
        },
      );
      await tell({ key: key.key });
      return true;
    });
  }
}

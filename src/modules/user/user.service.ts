import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../auth/password';
import { newSessionToken, sha256 } from '../../auth/tokens';
import type { Config } from '../../config';
import type { FailureLimiter } from '../../security/failure-limiter';
import { conflict, forbidden, unauthenticated } from '../../errors';
import { requireEmail, requireName, requirePassword } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { hasOpenInvitation } from '../invitation/open-invitation';
import { Session } from './session.entity';
import { User } from './user.entity';

export interface SignedIn {
  token: string;
  expiresAt: Date;
  user: User;
}

/** Accounts and sessions: sign-up, sign-in, sign-out, and turning a bearer token into a user. */
/** The email as counted and looked up. NUL and lone surrogates can't even be looked up
 * (PostgreSQL refuses them) and no account has them: they become U+FFFD. */
function normalizeLoginEmail(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .slice(0, 254)
    .replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export class UserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly config: Pick<Config, 'allowSignup' | 'sessionTtlHours'>,
    private readonly limiter: FailureLimiter,
  ) {}

  async signUp(actor: Actor, input: { email: string; password: string; name: string }): Promise<SignedIn> {
    if (!(await this.signUpOpenTo(input.email))) throw forbidden('Sign-up is disabled on this service');
    const email = requireEmail(input.email);
    const name = requireName(input.name, 'name');
    const password = requirePassword(input.password);
    const passwordHash = await hashPassword(password);
    return this.dataSource.transaction(async (m) => {
      // ON CONFLICT DO NOTHING, not check-then-insert: two sign-ups with one address at the same
      // moment must give one account and one CONFLICT, not a unique violation (a 500 whose failed
      // INSERT, password hash included, would land in the log).
      const inserted = await m
        .createQueryBuilder()
        .insert()
        .into(User)
        .values({ email, name, passwordHash, isPlatformAdmin: false })
        .orIgnore()
        .returning(['id'])
        .execute();
      const id = (inserted.raw as { id: string }[])[0]?.id;
      if (!id) throw conflict('An account with this email already exists');
      const user = await m.getRepository(User).findOneByOrFail({ id });
      await this.audit.record(m, { ...actor, principal: { type: 'USER', user, sessionId: '' } }, {
        teamId: null,
        action: 'user.signedUp',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: user.id,
      });
      return this.openSession(m, user);
    });
  }

  /** Open to everyone when ALLOW_SIGNUP is on; otherwise only to an address with an open invitation. */
  private async signUpOpenTo(rawEmail: string): Promise<boolean> {
    return this.config.allowSignup || hasOpenInvitation(this.dataSource, normalizeLoginEmail(rawEmail));
  }

  /**
   * One answer for every failure: unknown email, wrong password and a locked account all give
   * the same UNAUTHENTICATED error after the same argon2 work.
   *
   * Failures are counted per account and per client address, per logIn field: in a document of
   * aliased logIn fields the first failure ends the document (logIn is non-null), and the fields
   * that never ran are charged too (aliased-login.plugin.ts).
   * Each attempt is counted before its password is checked, so concurrent guesses can't slip past
   * the limit together; a success gives its count back. Past the limit the account or address is
   * locked for the rest of the window, across every instance; the lockout is audited.
   */
  async logIn(actor: Actor, input: { email: string; password: string }): Promise<SignedIn> {
    const email = normalizeLoginEmail(input.email);
    const buckets = [`account:${email}`, `address:${actor.ip ?? 'unknown'}`];
    let locked = await this.limiter.isBlockedShared(buckets);
    let reached: string[] = [];
    if (!locked) {
      const attempt = await this.limiter.reserve(buckets);
      locked = !attempt.allowed;
      reached = attempt.reached;
    }
    const user = locked ? null : await this.findByEmail(email);
    const ok = user ? await verifyPassword(user.passwordHash, input.password) : (await burnPasswordCheck(input.password), false);
    if (!user || !ok) {
      await this.dataSource.transaction(async (m) => {
        await this.audit.record(m, actor, {
          teamId: null,
          action: 'auth.loginFailed',
          outcome: AuditOutcome.DENIED,
          targetType: user ? 'User' : null,
          targetId: user?.id ?? null,
          metadata: { knownAccount: locked ? null : Boolean(user), locked },
        });
        for (const bucket of reached) {
          await this.audit.record(m, actor, {
            teamId: null,
            action: 'auth.lockedOut',
            outcome: AuditOutcome.DENIED,
            targetType: user ? 'User' : null,
            targetId: user?.id ?? null,
            metadata: {
              lockedBy: bucket.startsWith('account:') ? 'account' : 'address',
              failures: this.limiter.limit.max,
              windowSeconds: this.limiter.limit.windowSeconds,
            },
          });
        }
      });
      throw unauthenticated('Email or password is incorrect');
    }
    await this.limiter.reset(buckets[0]);
    await this.limiter.refund(buckets[1]);
    return this.dataSource.transaction(async (m) => {
      await this.audit.record(m, { ...actor, principal: { type: 'USER', user, sessionId: '' } }, {
        teamId: null,
        action: 'auth.loggedIn',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: user.id,
      });
      return this.openSession(m, user);
    });
  }

  /**
   * Attempts that a document asked for but GraphQL never ran (aliased logIn fields after a failed
   * one): each is charged as a failed attempt of its email and of the caller's address, and
   * audited, so packing guesses into one document buys nothing.
   */
  async chargeUnrunLogIns(actor: Actor, emails: string[]): Promise<void> {
    const rows: { email: string; reached: string[] }[] = [];
    for (const raw of emails) {
      const email = normalizeLoginEmail(raw);
      const reached = await this.limiter.recordFailure([`account:${email}`, `address:${actor.ip ?? 'unknown'}`]);
      rows.push({ email, reached });
    }
    await this.dataSource.transaction(async (m) => {
      for (const { reached } of rows) {
        await this.audit.record(m, actor, {
          teamId: null,
          action: 'auth.loginFailed',
          outcome: AuditOutcome.DENIED,
          metadata: { notRun: true, reason: 'an earlier logIn of the same document failed' },
        });
        for (const bucket of reached) {
          await this.audit.record(m, actor, {
            teamId: null,
            action: 'auth.lockedOut',
            outcome: AuditOutcome.DENIED,
            metadata: {
              lockedBy: bucket.startsWith('account:') ? 'account' : 'address',
              failures: this.limiter.limit.max,
              windowSeconds: this.limiter.limit.windowSeconds,
            },
          });
        }
      }
    });
  }

  async logOut(actor: Actor): Promise<boolean> {
    const p = actor.principal;
    if (p.type !== 'USER') return false;
    await this.dataSource.transaction(async (m) => {
      await m.delete(Session, { id: p.sessionId });
      await this.audit.record(m, actor, {
        teamId: null,
        action: 'auth.loggedOut',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: p.user.id,
      });
    });
    return true;
  }

  /** The user behind a bearer token, or null for an unknown, expired or logged-out one. */
  async authenticate(token: string): Promise<{ user: User; sessionId: string } | null> {
    if (!/^emst_[0-9A-Za-z]{43}$/.test(token)) return null;
    const rows: { session_id: string; user_id: string }[] = await this.dataSource.query(
      `SELECT s.id AS session_id, s.user_id FROM sessions s WHERE s.token_digest = $1 AND s.expires_at > now()`,
      [sha256(token)],
    );
    if (rows.length === 0) return null;
    const user = await this.dataSource.getRepository(User).findOneBy({ id: rows[0].user_id });
    return user ? { user, sessionId: rows[0].session_id } : null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  private async openSession(m: EntityManager, user: User): Promise<SignedIn> {
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.config.sessionTtlHours * 3600_000);
    await m.insert(Session, { userId: user.id, tokenDigest: sha256(token), expiresAt });
    return { token, expiresAt, user };
  }
}

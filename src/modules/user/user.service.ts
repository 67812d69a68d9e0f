import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import type { PasswordHasher } from '../../auth/password';
import { sha256 } from '../../auth/tokens';
import { conflict, forbidden, rateLimited, unauthenticated } from '../../errors';
import type { Lockout, SignInAttempt, SignInLimits } from '../../security/sign-in-limits';
import type { SignUpLimits } from '../../security/sign-up-limits';
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  requireEmail,
  requireName,
  requirePassword,
  storable,
} from '../../validation';
import type { AuditAction } from '../audit/audit-actions';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { preparedQuery } from '../prepared-query';
import { hydrate } from '../hydrate';
import { Session } from './session.entity';
import type { SessionService, SignedIn } from './session.service';
import type { SignUpPolicy } from './sign-up-policy';
import { User } from './user.entity';
import type { EmailVerificationService } from './email-verification.service';

export type { SignedIn } from './session.service';

/** The email as counted and looked up. What PostgreSQL can't store no account has either (storable). */
function normalizeLoginEmail(raw: string): string {
  return storable(raw.trim().toLowerCase().slice(0, 254));
}

interface AccountEvent {
  action: AuditAction;
  /** SUCCESS unless said */
  outcome?: AuditOutcome;
  metadata?: Record<string, unknown>;
}

/** The caller as the user it has just become: the rows of a sign-up or a sign-in name that user. */
function asSignedIn(actor: Actor, user: User): Actor {
  return { ...actor, principal: { type: 'USER', user, sessionId: '' } };
}

const wrongCredentials = () => unauthenticated('Email or password is incorrect');
const wrongCurrentPassword = () => forbidden('The current password is incorrect');

export interface UserServiceParts {
  dataSource: DataSource;
  audit: AuditService;
  sessions: SessionService;
  passwords: PasswordHasher;
  signInLimits: SignInLimits;
  signUpLimits: SignUpLimits;
  signUpPolicy: SignUpPolicy;
  verification: EmailVerificationService;
}

/**
 * Accounts: sign-up, sign-in, password and profile changes, and turning a bearer token into a
 * user. Password hashing is the expensive part: every answer that is decided without it (sign-up
 * closed, bad input, a limit reached, an email taken, an account locked) is given before it.
 */
export class UserService {
  private readonly dataSource: DataSource;
  private readonly audit: AuditService;
  private readonly sessions: SessionService;
  private readonly passwords: PasswordHasher;
  private readonly signInLimits: SignInLimits;
  private readonly signUpLimits: SignUpLimits;
  private readonly signUpPolicy: SignUpPolicy;
  private readonly verification: EmailVerificationService;

  constructor(parts: UserServiceParts) {
    this.dataSource = parts.dataSource;
    this.audit = parts.audit;
    this.sessions = parts.sessions;
    this.passwords = parts.passwords;
    this.signInLimits = parts.signInLimits;
    this.signUpLimits = parts.signUpLimits;
    this.signUpPolicy = parts.signUpPolicy;
    this.verification = parts.verification;
  }

  async signUp(
    actor: Actor,
    input: { email: string; password: string; name: string },
  ): Promise<SignedIn> {
    const email = requireEmail(input.email);
    const name = requireName(input.name, 'name');
    const password = requirePassword(input.password);
    if (!(await this.signUpPolicy.admits(email)))
      throw forbidden('Sign-up is disabled on this service');
    // counted before the email is looked up, so that asking which emails are taken is limited too
    if (!(await this.signUpLimits.admit(actor.ip)))
      throw rateLimited('Too many sign-ups; try again later');
    if (await this.findByEmail(email)) throw conflict('An account with this email already exists');
    const passwordHash = await this.passwords.hash(password).catch(async (error: unknown) => {
      await this.signUpLimits.giveBack(actor.ip);
      throw error;
    });
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
      await this.recordForAccount(m, asSignedIn(actor, user), user, { action: 'user.signedUp' });
      await this.verification.signedUp(m, user);
      return this.sessions.open(m, user, actor);
    });
  }

  /**
   * One answer for every failure: unknown email, wrong password and a locked account all give
   * the same UNAUTHENTICATED error. A locked attempt is refused before any hashing; an unknown
   * email costs the same argon2 work as a wrong password, so the two can't be told apart.
   * Each logIn field that runs is one attempt (SignInLimits: per account and address, per
   * address, per account); fields GraphQL never ran count for nothing.
   */
  async logIn(actor: Actor, input: { email: string; password: string }): Promise<SignedIn> {
    const email = normalizeLoginEmail(input.email);
    const attempt = await this.signInLimits.begin(email, actor.ip);
    if (!attempt) {
      await this.auditFailedSignIn(actor, null, { knownAccount: null, locked: true }, []);
      throw wrongCredentials();
    }
    const user = await this.findByEmail(email);
    const matches = await this.passwordMatches(attempt, user, input.password);
    if (!matches || !user) {
      await this.auditFailedSignIn(
        actor,
        user,
        { knownAccount: Boolean(user), locked: false },
        attempt.reached,
      );
      throw wrongCredentials();
    }
    await attempt.succeeded();
    return this.dataSource.transaction(async (m) => {
      await this.recordForAccount(m, asSignedIn(actor, user), user, { action: 'auth.loggedIn' });
      return this.sessions.open(m, user, actor);
    });
  }

  /**
   * A new password for the signed-in user; every other session ends. A wrong current password
   * counts as a failed sign-in of the account from the caller's address, and while that is
   * locked the answer is the same without any hashing.
   */
  async changePassword(
    actor: Actor,
    currentPassword: string,
    newPassword: string,
  ): Promise<boolean> {
    const { user, sessionId } = personOf(actor);
    const password = requirePassword(newPassword, 'newPassword');
    const attempt = await this.signInLimits.begin(normalizeLoginEmail(user.email), actor.ip);
    if (!attempt) throw wrongCurrentPassword();
    if (!(await this.passwordMatches(attempt, user, currentPassword))) {
      if (attempt.reached.length)
        await this.dataSource.transaction((m) =>
          this.auditLockouts(m, actor, user, attempt.reached),
        );
      throw wrongCurrentPassword();
    }
    await attempt.succeeded();
    const passwordHash = await this.passwords.hash(password);
    await this.dataSource.transaction(async (m) => {
      await m.update(User, { id: user.id }, { passwordHash });
      const sessionsEnded = await this.sessions.endOthers(m, user.id, sessionId);
      await this.recordForAccount(m, actor, user, {
        action: 'user.passwordChanged',
        metadata: { sessionsEnded },
      });
    });
    user.passwordHash = passwordHash;
    return true;
  }

  async updateProfile(actor: Actor, rawName: string): Promise<User> {
    const { user } = personOf(actor);
    const name = requireName(rawName, 'name');
    await this.dataSource.transaction(async (m) => {
      await m.update(User, { id: user.id }, { name });
      const metadata = { before: { name: user.name }, after: { name } };
      await this.recordForAccount(m, actor, user, { action: 'user.profileUpdated', metadata });
    });
    user.name = name;
    return user;
  }

  async logOut(actor: Actor): Promise<boolean> {
    const p = actor.principal;
    if (p.type !== 'USER') return false;
    await this.dataSource.transaction(async (m) => {
      await m.delete(Session, { id: p.sessionId });
      await this.recordForAccount(m, actor, p.user, { action: 'auth.loggedOut' });
    });
    return true;
  }

  /** The user behind a bearer token, or null for an unknown, expired or logged-out one. */
  async authenticate(token: string): Promise<{ user: User; sessionId: string } | null> {
    if (!/^emst_[0-9A-Za-z]{43}$/.test(token)) return null;
    // every signed-in request starts here: one prepared statement for the session and its user
    const [row] = await preparedQuery<{
      session_id: string;
      last_seen_at: Date | null;
      user: Record<string, unknown>;
    }>(
      this.dataSource,
      `SELECT s.id AS session_id, s.last_seen_at, to_jsonb(u) AS user
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_digest = $1 AND s.expires_at > now()`,
      [sha256(token)],
    );
    if (!row) return null;
    await this.sessions.seen(row.session_id, row.last_seen_at);
    return { user: hydrate(this.dataSource, User, row.user), sessionId: row.session_id };
  }

  findByEmail(email: string): Promise<User | null> {
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  /**
   * Does the password match, for an attempt already counted? A password of a length no account
   * can have is wrong without hashing; an unknown account costs the same hashing as a known one.
   * No turn to hash (RATE_LIMITED): the attempt is given back, as nothing was tried.
   */
  private async passwordMatches(
    attempt: SignInAttempt,
    user: User | null,
    password: string,
  ): Promise<boolean> {
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) return false;
    try {
      if (user) return await this.passwords.verify(user.passwordHash, password);
      await this.passwords.burn(password);
      return false;
    } catch (error) {
      await attempt.giveBack();
      throw error;
    }
  }

  private async auditFailedSignIn(
    actor: Actor,
    user: User | null,
    metadata: Record<string, unknown>,
    reached: Lockout[],
  ): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.recordForAccount(m, actor, user, {
        action: 'auth.loginFailed',
        outcome: AuditOutcome.DENIED,
        metadata,
      });
      await this.auditLockouts(m, actor, user, reached);
    });
  }

  /** One auth.lockedOut row per limit a failed attempt took to its end. */
  private async auditLockouts(
    m: EntityManager,
    actor: Actor,
    user: User | null,
    reached: Lockout[],
  ): Promise<void> {
    for (const lockout of reached) {
      await this.recordForAccount(m, actor, user, {
        action: 'auth.lockedOut',
        outcome: AuditOutcome.DENIED,
        metadata: { ...lockout },
      });
    }
  }

  /** An event of an account (of `user`, when one is known): in the platform chain, as accounts belong to no team. */
  private recordForAccount(
    m: EntityManager,
    actor: Actor,
    user: User | null,
    event: AccountEvent,
  ): Promise<void> {
    const { action, outcome = AuditOutcome.SUCCESS, metadata } = event;
    const target = { targetType: user ? 'User' : null, targetId: user?.id ?? null };
    return this.audit.record(m, actor, { teamId: null, action, outcome, ...target, metadata });
  }
}

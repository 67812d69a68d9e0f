import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { sha256 } from '../../auth/tokens';
import { badInput, conflict, rateLimited } from '../../errors';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { enqueueEmail } from '../notify/email-notices';
import type { User } from './user.entity';

/** A confirmation link works this long. */
const LINK_HOURS = 24;
/** A new link is sent at most this often per account. */
const RESEND_SECONDS = 60;

/**
 * Confirmed addresses, when this service sends email (SMTP_URL): a new account is sent a link,
 * whose token is kept only as a digest; following it confirms the address it was sent to (if the
 * account still has it). Only a confirmed address may accept an invitation, so nobody joins a
 * team under an address they don't hold. Without email nothing is asked.
 */
export class EmailVerificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    /** where the web app is: links start with it; null when the service sends no email */
    private readonly publicUrl: string | null,
  ) {}

  get required(): boolean {
    return this.publicUrl !== null;
  }

  /**
   * A new account: sent a confirmation link, in the caller's transaction; or, when this service
   * sends no email, counted as confirmed (nothing can be asked, as for accounts made before).
   */
  async signedUp(m: EntityManager, user: Pick<User, 'id' | 'email' | 'name'>): Promise<void> {
    if (this.publicUrl) return this.send(m, user);
    await m.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
  }

  /** Sends a confirmation link to the user's address, in the caller's transaction. */
  private async send(m: EntityManager, user: Pick<User, 'id' | 'email' | 'name'>): Promise<void> {
    if (!this.publicUrl) return;
    const token = randomBytes(32).toString('base64url');
    await m.query(
      `INSERT INTO email_verifications (token_digest, user_id, email, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(hours => $4))`,
      [sha256(token), user.id, user.email, LINK_HOURS],
    );
    await enqueueEmail(m, {
      to: user.email,
      subject: 'Confirm your email address for Empress API Access',
      paragraphs: [
        `Hello ${user.name},`,
        `Follow the link below within ${LINK_HOURS} hours to confirm that this address is yours. Until then you can't join a team you are invited to.`,
        "If you didn't create an account, ignore this email.",
      ],
      link: `${this.publicUrl}/verify-email?token=${token}`,
    });
  }

  /**
   * A new link for the signed-in person, at most once a minute: true once sent (or when the
   * address is already confirmed), false when this service sends no email.
   */
  async resend(actor: Actor): Promise<boolean> {
    if (!this.publicUrl) return false;
    const { user } = personOf(actor);
    return this.dataSource.transaction(async (m) => {
      const [fresh]: { verified: boolean; recent: boolean }[] = await m.query(
        `SELECT u.email_verified_at IS NOT NULL AS verified,
                EXISTS (SELECT 1 FROM email_verifications v WHERE v.user_id = u.id
                         AND v.created_at > now() - make_interval(secs => $2)) AS recent
           FROM users u WHERE u.id = $1 FOR UPDATE`,
        [user.id, RESEND_SECONDS],
      );
      if (fresh?.verified) return true;
      if (fresh?.recent) throw rateLimited('A link was sent less than a minute ago; look for it');
      await this.send(m, user);
      await this.audit.record(m, actor, {
        teamId: null,
        action: 'user.verificationEmailSent',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: user.id,
        metadata: { email: user.email },
      });
      return true;
    });
  }

  /** Confirms the address the token was sent to; one use, within its time. */
  async verify(actor: Actor, token: string): Promise<boolean> {
    const invalid = () =>
      badInput('This confirmation link is not valid: it may have expired or been used', 'token');
    if (typeof token !== 'string' || token.length > 100) throw invalid();
    return this.dataSource.transaction(async (m) => {
      const [[row]]: [{ user_id: string; email: string }[]] = await m.query(
        `UPDATE email_verifications v SET used_at = now()
           FROM users u
          WHERE v.token_digest = $1 AND v.used_at IS NULL AND v.expires_at > now()
            AND u.id = v.user_id AND lower(u.email) = lower(v.email)
         RETURNING v.user_id, v.email`,
        [sha256(token)],
      );
      if (!row) throw invalid();
      await m.query(
        `UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1`,
        [row.user_id],
      );
      await this.audit.record(m, actor, {
        teamId: null,
        action: 'user.emailVerified',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: row.user_id,
        metadata: { email: row.email },
      });
      return true;
    });
  }

  /** Refuses an unconfirmed address, when addresses are confirmed at all. */
  async assertConfirmed(m: EntityManager, userId: string): Promise<void> {
    if (!this.required) return;
    const [row]: { verified: boolean }[] = await m.query(
      `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`,
      [userId],
    );
    if (!row?.verified)
      throw conflict(
        'Confirm your email address before joining a team: follow the link we emailed you',
      );
  }
}

import { Not, type DataSource, type EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { newSessionToken, sha256 } from '../../auth/tokens';
import type { Config } from '../../config';
import { notFound } from '../../errors';
import { requireId } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { Session } from './session.entity';
import type { SessionInfo } from './session.types';
import type { User } from './user.entity';

export interface SignedIn {
  token: string;
  expiresAt: Date;
  user: User;
}

/** lastSeenAt is written at most this often per session: reading a session must not cost a write. */
const LAST_SEEN_EVERY_SECONDS = 300;
/** mySessions lists the newest this many */
const LISTED_SESSIONS = 100;

/** A person's sessions: opened at sign-in, listed and ended by their owner, each end audited. */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly config: Pick<Config, 'sessionTtlHours'>,
  ) {}

  async open(m: EntityManager, user: User, actor: Actor): Promise<SignedIn> {
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.config.sessionTtlHours * 3600_000);
    await m.insert(Session, {
      userId: user.id,
      tokenDigest: sha256(token),
      expiresAt,
      lastSeenAt: new Date(),
      userAgent: actor.userAgent ? actor.userAgent.slice(0, 512) : null,
      ip: actor.ip,
    });
    return { token, expiresAt, user };
  }

  /** Note that a session is in use, when its lastSeenAt is older than LAST_SEEN_EVERY_SECONDS. */
  async seen(sessionId: string, lastSeenAt: Date | null): Promise<void> {
    if (lastSeenAt && Date.now() - lastSeenAt.getTime() < LAST_SEEN_EVERY_SECONDS * 1000) return;
    // conditional, so that concurrent requests of one session write once
    await this.dataSource.query(
      `UPDATE sessions SET last_seen_at = now()
        WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => $2))`,
      [sessionId, LAST_SEEN_EVERY_SECONDS],
    );
  }

  /** The caller's live sessions: the one of this request (marked `current`) first, then the newest. */
  async mine(actor: Actor): Promise<SessionInfo[]> {
    const { user, sessionId } = personOf(actor);
    const sessions = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.expires_at > now()', { userId: user.id })
      // this request's session is always listed, however many newer ones there are
      .orderBy('s.id = :sessionId', 'DESC')
      .setParameter('sessionId', sessionId)
      .addOrderBy('s.created_at', 'DESC')
      .addOrderBy('s.id')
      .limit(LISTED_SESSIONS)
      .getMany();
    return sessions.map(({ id, createdAt, lastSeenAt, expiresAt, userAgent, ip }) => ({
      id,
      createdAt,
      lastSeenAt,
      expiresAt,
      userAgent,
      ip,
      current: id === sessionId,
    }));
  }

  /** End one of the caller's own sessions; anyone else's, or none, is NOT_FOUND. */
  async revoke(actor: Actor, rawId: string): Promise<boolean> {
    const { user } = personOf(actor);
    const id = requireId(rawId, 'id');
    return this.dataSource.transaction(async (m) => {
      const result = await m.delete(Session, { id, userId: user.id });
      if (!result.affected) throw notFound('Session');
      await this.audit.record(m, actor, {
        teamId: null,
        action: 'auth.sessionRevoked',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Session',
        targetId: id,
      });
      return true;
    });
  }

  /** End every session of the user, the caller's included. */
  async endAll(actor: Actor): Promise<boolean> {
    const { user } = personOf(actor);
    await this.dataSource.transaction(async (m) => {
      const result = await m.delete(Session, { userId: user.id });
      await this.audit.record(m, actor, {
        teamId: null,
        action: 'auth.loggedOutEverywhere',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'User',
        targetId: user.id,
        metadata: { sessionsEnded: result.affected ?? 0 },
      });
    });
    return true;
  }

  /** End every session of the user but `keep`, inside the caller's transaction; how many ended. */
  async endOthers(m: EntityManager, userId: string, keep: string): Promise<number> {
    const result = await m.delete(Session, { userId, id: Not(keep) });
    return result.affected ?? 0;
  }
}

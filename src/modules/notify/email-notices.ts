import type { EntityManager } from 'typeorm';
import type { AuditAction } from '../audit/audit-actions';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditRow } from '../audit/audit.service';

/** An email to write to the outbox: to one address, in plain text with a simple HTML part. */
export interface Email {
  to: string;
  subject: string;
  /** paragraphs of plain text; the last is usually the link */
  paragraphs: string[];
  /** where in the dashboard to go, absolute */
  link: string;
}

interface Recipient {
  email: string;
  name: string;
}

/**
 * Who hears of an audited event by email, and what they read: each notice is a plain-language
 * letter with a link into the dashboard. Written from the audit rows, in the same transaction, so
 * an email exists exactly when its event happened.
 */
const NOTICES: Partial<
  Record<AuditAction, (m: EntityManager, row: AuditRow, base: string) => Promise<Email[]>>
> = {
  'member.invited': async (m, row, base) => {
    const email = field(row, 'email') || '';
    if (!email) return [];
    const team = await teamName(m, row.teamId!);
    return [
      {
        to: email,
        subject: `You are invited to join ${team} on Empress API Access`,
        paragraphs: [
          `${row.actorLabel ?? 'Someone'} invited you to join the team ${team} as ${field(row, 'role') || 'a member'}.`,
          'Sign in (or create an account with this address) to accept or decline. The invitation expires in a few days.',
        ],
        link: `${base}/dashboard`,
      },
    ];
  },
  'apiKey.expiring': async (m, row, base) => {
    const owners = await keyOwner(m, row.targetId!);
    const days = Number(field(row, 'daysLeft') || 0);
    return owners.map((owner) => ({
      to: owner.email,
      subject: `Your API key "${field(row, 'name')}" expires in ${days} day${days === 1 ? '' : 's'}`,
      paragraphs: [
        `Hello ${owner.name},`,
        `The API key "${field(row, 'name')}" (${field(row, 'key')}) stops working on ${field(row, 'expiresAt')}.`,
        'Create a new key, move the application to it, then revoke the old one.',
      ],
      link: keyLink(base, row),
    }));
  },
  'apiKey.leaked': async (m, row, base) => {
    const people = await keyPeople(m, row.teamId!, row.targetId!);
    return people.map((person) => ({
      to: person.email,
      subject: `An API key of your team was revoked: its secret was found in public`,
      paragraphs: [
        `Hello ${person.name},`,
        `The secret of the API key ${field(row, 'key')} was reported as found${field(row, 'foundAt') ? ` at ${field(row, 'foundAt')}` : ''}, so the key was revoked at once: applications using it are refused.`,
        'Create a new key for the application, and find out how the secret got there.',
      ],
      link: keyLink(base, row),
    }));
  },
  'auth.lockedOut': async (m, row, base) => {
    if (row.targetType !== 'User' || !row.targetId) return [];
    const [user]: Recipient[] = await m.query(`SELECT email, name FROM users WHERE id = $1`, [
      row.targetId,
    ]);
    if (!user) return [];
    return [
      {
        to: user.email,
        subject: 'Sign-ins to your Empress account are paused after failed attempts',
        paragraphs: [
          `Hello ${user.name},`,
          'Someone tried to sign in to your account with a wrong password several times, so sign-ins are paused for a while. If it was you, wait and try again. If it was not, your password held: consider changing it to a long, unique one.',
        ],
        link: `${base}/sign-in`,
      },
    ];
  },
};

/** A detail of the audit row as text ('' when absent). */
function field(row: AuditRow, name: string): string {
  const value = row.metadata?.[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

const keyLink = (base: string, row: AuditRow) =>
  `${base}/teams/${row.teamId}/settings/profile-team/api-access/${row.targetId}`;

async function teamName(m: EntityManager, teamId: string): Promise<string> {
  const [team]: { name: string }[] = await m.query(`SELECT name FROM teams WHERE id = $1`, [
    teamId,
  ]);
  return team?.name ?? 'a team';
}

/** The key's owner, while they are in its team. */
function keyOwner(m: EntityManager, keyId: string): Promise<Recipient[]> {
  return m.query(
    `SELECT u.email, u.name FROM api_keys k JOIN users u ON u.id = k.owner_id
       JOIN memberships mb ON mb.user_id = k.owner_id AND mb.team_id = k.team_id
      WHERE k.id = $1`,
    [keyId],
  );
}

/** The key's owner and everyone who manages the team's keys, once each. */
function keyPeople(m: EntityManager, teamId: string, keyId: string): Promise<Recipient[]> {
  return m.query(
    `SELECT DISTINCT u.email, u.name FROM users u
      WHERE u.id IN (SELECT owner_id FROM api_keys WHERE id = $2)
         OR u.id IN (SELECT user_id FROM member_permissions
                      WHERE team_id = $1 AND 'apiKeys:manage' = ANY(permissions))`,
    [teamId, keyId],
  );
}

/** The emails the rows send, written to the outbox in the caller's transaction. */
export async function enqueueEmails(
  m: EntityManager,
  rows: readonly AuditRow[],
  base: string,
): Promise<void> {
  for (const row of rows) {
    const notice = NOTICES[row.action];
    const counts = row.outcome === AuditOutcome.SUCCESS || row.action === 'auth.lockedOut';
    if (!notice || !counts) continue;
    for (const email of await notice(m, row, base)) await enqueueEmail(m, email);
  }
}

/** One email written to the outbox in the caller's transaction. */
export async function enqueueEmail(m: EntityManager, email: Email): Promise<void> {
  await m.query(
    `INSERT INTO email_outbox (to_address, subject, paragraphs, link) VALUES ($1, $2, $3, $4)`,
    [email.to, email.subject, JSON.stringify(email.paragraphs), email.link],
  );
}

import type { EntityManager } from 'typeorm';

/**
 * An address as invitations hold it: trimmed and lower-cased, as requireEmail leaves it. Accounts
 * are stored the same way, so an account and its invitations meet without regard to case.
 */
export function invitationAddress(email: string): string {
  return email.trim().toLowerCase();
}

/** Whether someone invited this address and the invitation is still open: it may then sign up. */
export async function hasOpenInvitation(
  q: Pick<EntityManager, 'query'>,
  email: string,
  now = new Date(),
): Promise<boolean> {
  const rows: unknown[] = await q.query(
    `SELECT 1 FROM invitations WHERE email = $1 AND state = 'PENDING' AND expires_at > $2 LIMIT 1`,
    [invitationAddress(email), now],
  );
  return rows.length > 0;
}

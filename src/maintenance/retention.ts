/**
 * How long each table keeps its rows: every table of the schema is listed here (a test compares
 * this list with the database), and docs/security.md repeats it for operators.
 *
 * `spent` is the SQL condition of the rows the maintenance job deletes (maintenance-job.ts), in
 * batches, one instance at a time; a table without it is left alone. To purge a new table, add
 * its line with `spent`, and an index that serves the condition.
 */
export interface Retention {
  table: string;
  /** how long a row is kept, in words */
  kept: string;
  /** the rows that are spent and deleted; absent: the job never deletes from this table */
  spent?: string;
}

export const RETENTION: readonly Retention[] = [
  {
    table: 'sessions',
    kept: 'until it expires (SESSION_TTL_HOURS) or its user signs out; then purged',
    spent: 'expires_at <= now()',
  },
  {
    table: 'rate_limits',
    kept: "until its limiter's failure-counting window ends; then purged",
    spent: 'expires_at <= now()',
  },
  {
    table: 'audit_events',
    kept: 'for ever: append-only hash chains; a team chain is removed only by an operator archiving it',
  },
  { table: 'audit_chain_heads', kept: 'one row per chain, for as long as the chain exists' },
  { table: 'users', kept: 'for as long as the account exists (accounts are not deleted yet)' },
  { table: 'teams', kept: 'for as long as the team exists (teams are not deleted yet)' },
  { table: 'roles', kept: 'until the team deletes the role' },
  { table: 'memberships', kept: 'until the member leaves or is removed' },
  { table: 'permission_grants', kept: 'until the grant is revoked or the membership ends' },
  {
    table: 'api_keys',
    kept: 'for ever: a revoked or expired key stays, so that the audit log can name it',
  },
  {
    table: 'api_key_addresses',
    kept: 'for as long as the key: the addresses it was used from, so a new one is noticed',
  },
  { table: 'api_key_policies', kept: "for as long as the team: one row of the team's key rules" },
  { table: 'migrations', kept: 'one row per applied migration' },
  {
    table: 'security_events',
    kept: "for ever: the platform security log is an append-only hash chain, like the teams' (a row per address, minute and kind of refusal)",
  },
  { table: 'security_chain_heads', kept: 'one row, the head of the security log' },
  {
    table: 'audit_chain_archives',
    kept: 'for ever: the archived heads of team chains (append-only), which later checks start from',
  },
  {
    table: 'operation_leases',
    kept: 'while a chain walk or an export runs: released leases are deleted, expired ones taken over',
  },
  {
    table: 'platform_admin_reads',
    kept: 'the current and the previous hour (only the current one decides whether a read is recorded again); then purged',
    spent: "hour < date_trunc('hour', now()) - interval '1 hour'",
  },
  {
    table: 'invitations',
    kept: 'while open; answered or expired ones 30 more days (the audit log keeps their story), then purged',
    spent: "coalesce(responded_at, expires_at) < now() - interval '30 days'",
  },
  { table: 'webhook_endpoints', kept: 'until the team deletes the endpoint' },
  {
    table: 'email_verifications',
    kept: 'the digests of confirmation links: a day past their expiry (24 hours), then purged',
    spent: "expires_at < now() - interval '1 day'",
  },
  {
    table: 'email_outbox',
    kept: 'emails to send (only with SMTP_URL): 30 days, sent or given up; then purged',
    spent: "created_at < now() - interval '30 days'",
  },
  {
    table: 'api_key_expiry_notices',
    kept: 'for as long as the key: which expiry notices were sent, so each is sent once',
  },
  {
    table: 'webhook_events',
    kept: 'events sent to webhooks, with their delivery attempts: 30 days (retries end after about 27 hours), then purged',
    spent: "created_at < now() - interval '30 days'",
  },
  {
    table: 'webhook_deliveries',
    kept: 'each delivery attempt: as long as its event (30 days); purged with it',
  },
];

/** The entries the maintenance job purges. */
export function purges(retention: readonly Retention[] = RETENTION): Required<Retention>[] {
  return retention.filter((entry): entry is Required<Retention> => entry.spent !== undefined);
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import type { EntityManager } from 'typeorm';
import type { AuditAction } from '../../src/modules/audit/audit-actions';
import type { AuditColumns } from '../../src/modules/audit/audit-fields';
import { AuditService, systemRow, type AuditRow } from '../../src/modules/audit/audit.service';
import type { AuditEventsQuery } from '../clients/generated/graphql';
import { typed } from './graphql';
import { testDatabaseUrl, type TestServer } from './server';

/** A raw audit_events row as PostgreSQL returns it (snake_case; the columns of AUDIT_FIELDS). */
export type AuditDbRow = AuditColumns;

/** Every audit row written for one HTTP request (the X-Request-Id of its response). */
export function auditRowsOfRequest(t: TestServer, requestId: string): Promise<AuditDbRow[]> {
  return t.dataSource.query(`SELECT * FROM audit_events WHERE request_id = $1 ORDER BY chain_seq`, [
    requestId,
  ]);
}

/** A team's chain, oldest first, straight from the table. */
export function chainOf(t: TestServer, teamId: string): Promise<AuditDbRow[]> {
  return t.dataSource.query(`SELECT * FROM audit_events WHERE team_id = $1 ORDER BY chain_seq`, [
    teamId,
  ]);
}

export const EVENTS_QUERY =
  typed<AuditEventsQuery>(`query($t: ID!, $f: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(teamId: $t, filter: $f, first: $first, after: $after) {
    edges { cursor node { id occurredAt teamId action outcome actor { type userId apiKeyId label } targetType targetId ip userAgent requestId metadata } }
    pageInfo { hasNextPage endCursor }
  }
}`);

/** What verifyAuditChain answers. */
export interface ChainVerification {
  valid: boolean;
  checkedEvents: number;
  firstBrokenEventId: string | null;
  firstBrokenPosition: string | null;
  reason: string | null;
}

export const VERIFY_CHAIN_QUERY = typed<{ verifyAuditChain: ChainVerification }>(
  `query($t: ID!) { verifyAuditChain(teamId: $t) { valid checkedEvents firstBrokenEventId firstBrokenPosition reason } }`,
);

/** Runs `fn` in a superuser transaction with triggers off (session_replication_role = replica). */
export async function withTriggersOff<T>(
  t: TestServer,
  fn: (m: EntityManager) => Promise<T>,
): Promise<T> {
  return t.dataSource.transaction(async (m) => {
    await m.query(`SET LOCAL session_replication_role = replica`);
    return fn(m);
  });
}

/** An event as a test writes it: any dotted action, so that tests name their own (test.*) and find them again. */
export type SyntheticEvent = Omit<AuditRow, 'action'> & { action: string };

// The catalogue types what the service writes; the table takes any action.
const SYNTHETIC = 'test.synthetic' as AuditAction;

/**
 * Appends `count` synthetic, hash-valid events (by SYSTEM, unless `make` says otherwise) to a
 * team's chain through the service's own AuditService (the chain-head lock, the hashing): a
 * cheap way to a long, intact log.
 */
export async function appendSyntheticEvents(
  t: TestServer,
  teamId: string,
  count: number,
  make: (i: number) => Partial<SyntheticEvent> = () => ({}),
): Promise<SyntheticEvent[]> {
  const audit = new AuditService(t.dataSource);
  const rows: SyntheticEvent[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      ...systemRow({ teamId, action: SYNTHETIC, requestId: `synthetic-${i}`, metadata: { i } }),
      ...make(i),
    });
  }
  for (let i = 0; i < rows.length; i += 500) {
    await t.dataSource.transaction((m) => audit.append(m, rows.slice(i, i + 500) as AuditRow[]));
  }
  return rows;
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run audit:verify -- <args>` against this run's database, as an operator would run it; or,
 * with `env` `{ DATABASE_URL: undefined, DATA_DIR }`, against an embedded database.
 */
export function runAuditVerify(
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string | undefined> = {},
): Promise<ChildResult> {
  return runAuditCommand('audit:verify', args, timeoutMs, env);
}

/** `npm run <script> -- <args>` (audit:verify, audit:archive) against this run's database unless `env` says otherwise. */
export function runAuditCommand(
  script: string,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string | undefined> = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: testDatabaseUrl(),
      NODE_ENV: 'test',
      ...env,
    };
    for (const name of Object.keys(childEnv))
      if (childEnv[name] === undefined) delete childEnv[name];
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: path.resolve(__dirname, '../..'),
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

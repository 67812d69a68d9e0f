import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import { authenticate, readCredentials } from '../auth/authenticate';
import { AuditOutcome, type AuditEvent } from '../modules/audit/audit-event.entity';
import { auditWhere, type AuditFilterInput } from '../modules/audit/audit-filter';
import { TeamAccess } from '../permissions/team-access';
import type { Services } from '../services';
import { isUuid } from '../validation';

type Query = Record<string, string | undefined>;

const COLUMNS = [
  'id', 'occurredAt', 'teamId', 'action', 'outcome', 'actorType', 'actorUserId', 'actorApiKeyId', 'actorLabel',
  'targetType', 'targetId', 'ip', 'userAgent', 'requestId', 'metadata', 'prevHash', 'hash',
] as const;

function plain(event: AuditEvent): Record<(typeof COLUMNS)[number], unknown> {
  return {
    id: event.id,
    occurredAt: event.occurredAt.toISOString(),
    teamId: event.teamId,
    action: event.action,
    outcome: event.outcome,
    actorType: event.actorType,
    actorUserId: event.actorUserId,
    actorApiKeyId: event.actorApiKeyId,
    actorLabel: event.actorLabel,
    targetType: event.targetType,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    metadata: event.metadata,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** RFC 4180 quoting, and a leading ' on cells a spreadsheet would run as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function* lines(events: AsyncGenerator<AuditEvent>, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
  if (format === 'csv') yield `${COLUMNS.join(',')}\r\n`;
  for await (const event of events) {
    const row = plain(event);
    yield format === 'csv' ? `${COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n` : `${JSON.stringify(row)}\n`;
  }
}

function parseFilter(query: Query): AuditFilterInput | string {
  // ?actions=a&actions=b arrives as an array: one value per parameter, as documented.
  const repeated = Object.keys(query).find((name) => typeof query[name] !== 'string');
  if (repeated) return 'each parameter may be given only once';
  const date = (name: 'from' | 'to') => {
    const raw = query[name];
    if (raw === undefined) return undefined;
    const value = new Date(raw);
    return Number.isNaN(value.getTime()) ? null : value;
  };
  const from = date('from');
  const to = date('to');
  if (from === null || to === null) return 'from and to must be ISO 8601 times';
  const outcome = query.outcome;
  if (outcome !== undefined && !Object.values(AuditOutcome).includes(outcome as AuditOutcome)) return 'outcome must be SUCCESS, DENIED or FAILURE';
  for (const field of ['actorUserId', 'apiKeyId', 'targetId'] as const) {
    if (query[field] !== undefined && !isUuid(query[field])) return `${field} is not a valid id`;
  }
  return {
    actions: query.actions ? query.actions.split(',').map((a) => a.trim()).filter(Boolean) : undefined,
    actorUserId: query.actorUserId,
    apiKeyId: query.apiKeyId,
    targetId: query.targetId,
    outcome: outcome as AuditOutcome | undefined,
    from,
    to,
  };
}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
}

/**
 * GET /v1/audit/export?teamId=&from=&to=&format=ndjson|csv (plus the filters of auditEvents):
 * the team's log, oldest first, streamed in batches with backpressure, so memory stays flat for
 * any size. Same credentials and the same audit:read permission as the auditEvents query.
 */
export function registerAuditExportRoute(app: FastifyInstance, services: Services, dataSource: DataSource): void {
  app.get('/v1/audit/export', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const client = {
      ip: request.ip ?? null,
      requestId: request.id,
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      operation: 'auditExport',
    };
    let principal;
    try {
      principal = await authenticate(services, readCredentials(request.headers), client);
    } catch (error) {
      const code = (error as GraphQLError).extensions?.code === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'UNAUTHENTICATED';
      return fail(reply, code === 'RATE_LIMITED' ? 429 : 401, code, 'Authentication required or credentials are invalid');
    }
    if (principal.type === 'ANONYMOUS') return fail(reply, 401, 'UNAUTHENTICATED', 'Authentication required or credentials are invalid');
    const { teamId, format = 'ndjson' } = request.query;
    if (!isUuid(teamId)) return fail(reply, 400, 'BAD_USER_INPUT', 'teamId is not a valid id');
    if (format !== 'ndjson' && format !== 'csv') return fail(reply, 400, 'BAD_USER_INPUT', 'format must be ndjson or csv');
    const filter = parseFilter(request.query);
    if (typeof filter === 'string') return fail(reply, 400, 'BAD_USER_INPUT', filter);
    try {
      // The same checks the stream will make (action names, ids): fail now with a 400, not
      // once the 200 and the headers are gone.
      auditWhere(teamId.toLowerCase(), filter);
    } catch (error) {
      return fail(reply, 400, 'BAD_USER_INPUT', error instanceof GraphQLError ? error.message : 'bad filter');
    }

    const access = new TeamAccess(dataSource, principal);
    const permissions = await access.permissionsIn(teamId.toLowerCase());
    if (!permissions) return fail(reply, 404, 'NOT_FOUND', 'Team not found');
    if (!permissions.has('audit:read')) return fail(reply, 403, 'FORBIDDEN', 'This needs the audit:read permission');

    const actor: Actor = { principal, access, requestId: client.requestId, ip: client.ip, userAgent: client.userAgent };
    await services.audit.recordAlone(actor, {
      teamId: teamId.toLowerCase(),
      action: 'audit.exported',
      outcome: AuditOutcome.SUCCESS,
      targetType: 'Team',
      targetId: teamId.toLowerCase(),
      metadata: { format, filter: { ...filter } },
    });
    const stream = Readable.from(lines(services.auditLog.stream(teamId.toLowerCase(), filter), format));
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${teamId}.${format === 'csv' ? 'csv' : 'ndjson'}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}

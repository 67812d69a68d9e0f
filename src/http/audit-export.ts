import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { actorFromRequest } from '../context/request-context';
import { AuditOutcome, type AuditEvent } from '../modules/audit/audit-event.entity';
import { auditWhere, type AuditFilterInput } from '../modules/audit/audit-filter';
import { ROUTE_OPERATIONS } from '../permissions/rule-map';
import { decide } from '../permissions/rules';
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
    let context;
    try {
      context = await actorFromRequest(request, services, dataSource, 'auditExport');
    } catch (error) {
      const code = (error as GraphQLError).extensions?.code === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'UNAUTHENTICATED';
      return fail(reply, code === 'RATE_LIMITED' ? 429 : 401, code, 'Authentication required or credentials are invalid');
    }
    const { teamId, format = 'ndjson' } = request.query;
    // who may export: the rule map's row, as for any GraphQL operation
    const decision = await decide(ROUTE_OPERATIONS.auditExport, undefined, { teamId }, context);
    if (decision !== true) {
      const code = String(decision.extensions.code);
      return fail(reply, STATUS_OF[code] ?? 403, code, decision.message);
    }
    if (format !== 'ndjson' && format !== 'csv') return fail(reply, 400, 'BAD_USER_INPUT', 'format must be ndjson or csv');
    const filter = parseFilter(request.query);
    if (typeof filter === 'string') return fail(reply, 400, 'BAD_USER_INPUT', filter);
    const team = teamId!.toLowerCase();
    try {
      // The same checks the stream will make (action names, ids): fail now with a 400, not
      // once the 200 and the headers are gone.
      auditWhere(team, filter);
    } catch (error) {
      return fail(reply, 400, 'BAD_USER_INPUT', error instanceof GraphQLError ? error.message : 'bad filter');
    }

    await services.audit.recordAlone(context.actor, {
      teamId: team,
      action: 'audit.exported',
      outcome: AuditOutcome.SUCCESS,
      targetType: 'Team',
      targetId: team,
      metadata: { format, filter: { ...filter } },
    });
    const stream = Readable.from(lines(services.auditLog.stream(team, filter), format));
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${team}.${format === 'csv' ? 'csv' : 'ndjson'}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
}

/** HTTP status of a refusal by its code. */
const STATUS_OF: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, INTERNAL_SERVER_ERROR: 503 };

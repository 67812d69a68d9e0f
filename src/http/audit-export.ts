import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { HeavyWorkGate } from '../capacity/heavy-work';
import type { Actor } from '../actor';
import { actorFromRequest } from '../context/request-context';
import { errorCode } from '../errors';
import { AuditOutcome, type AuditEvent } from '../modules/audit/audit-event.entity';
import { auditWhere, type AuditFilterInput } from '../modules/audit/audit-filter';
import { EXPORT_COLUMNS, exportedRow } from '../modules/audit/audit-fields';
import { ROUTE_OPERATIONS } from '../permissions/rule-map';
import { decide } from '../permissions/rules';
import type { Services } from '../modules/services';
import { isUuid } from '../validation';
import { fail, STATUS_OF } from './refusal';

type Query = Record<string, string | undefined>;

/** RFC 4180 quoting, and a leading ' on cells a spreadsheet would run as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// Rows turned into text in one slice of the event loop (~2 ms), and sent as one chunk.
const ROWS_PER_SLICE = 200;

/** The export's text, a slice of rows at a time: heavy work shares the event loop (HeavyWorkGate.slice). */
async function* lines(
  batches: AsyncGenerator<AuditEvent[]>,
  format: 'ndjson' | 'csv',
  gate: HeavyWorkGate,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\r\n`;
  const line = (event: AuditEvent) => {
    const row = exportedRow(event);
    return format === 'csv'
      ? `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`
      : `${JSON.stringify(row)}\n`;
  };
  for await (const batch of batches) {
    for (let from = 0; from < batch.length; from += ROWS_PER_SLICE) {
      yield await gate.slice(() =>
        batch
          .slice(from, from + ROWS_PER_SLICE)
          .map(line)
          .join(''),
      );
    }
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
  if (outcome !== undefined && !Object.values(AuditOutcome).includes(outcome as AuditOutcome))
    return 'outcome must be SUCCESS, DENIED or FAILURE';
  for (const field of ['actorUserId', 'apiKeyId', 'targetId'] as const) {
    if (query[field] !== undefined && !isUuid(query[field])) return `${field} is not a valid id`;
  }
  return {
    actions: query.actions
      ? query.actions
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean)
      : undefined,
    actorUserId: query.actorUserId,
    apiKeyId: query.apiKeyId,
    targetId: query.targetId,
    outcome: outcome as AuditOutcome | undefined,
    from,
    to,
  };
}

/** The places for a team's exports: a lease each, so the cap holds across instances. */
function exportPlaces(teamId: string, cap: number): string[] {
  return Array.from({ length: cap }, (_, i) => `audit-export:${teamId}:${i}`);
}

/**
 * GET /v1/audit/export?teamId=&from=&to=&format=ndjson|csv (plus the filters of auditEvents):
 * the team's log, oldest first, streamed in batches with backpressure, so memory stays flat for
 * any size. Same credentials and the same audit:read permission as the auditEvents query.
 * At most MAX_EXPORTS_PER_TEAM exports of a team stream at once, on all instances together:
 * another answers 429 RATE_LIMITED before anything streams. A place is freed when its stream
 * ends or its client goes away; each batch reads through the heavy-work gate.
 */
export function registerAuditExportRoute(
  app: FastifyInstance,
  services: Services,
  dataSource: DataSource,
  exportsPerTeam: number,
): void {
  app.get('/v1/audit/export', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const asked = await readExportRequest(request, services, dataSource);
    if ('status' in asked) return fail(reply, asked.status, asked.code, asked.message);
    const place = await services.leases.takeAny(exportPlaces(asked.team, exportsPerTeam));
    if (!place) {
      reply.header('retry-after', '10');
      const message = 'Too many exports of this team are running; try again when one has finished';
      return fail(reply, 429, 'RATE_LIMITED', message);
    }
    // freed when the answer is complete or the client went away, whichever comes first (or
    // already went away while the place was being taken)
    reply.raw.once('close', () => void place.release());
    if (request.raw.socket.destroyed) await place.release();
    try {
      await recordExport(services, asked);
    } catch (error) {
      await place.release();
      throw error;
    }
    return sendExport(reply, services, asked);
  });
}

interface ExportRequest {
  actor: Actor;
  team: string;
  format: 'ndjson' | 'csv';
  filter: AuditFilterInput;
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * Who asks, for which team, in which format, with which filter; or the refusal to answer with,
 * before anything streams (a 400 once the 200 and the headers are gone would be too late).
 */
async function readExportRequest(
  request: FastifyRequest<{ Querystring: Query }>,
  services: Services,
  dataSource: DataSource,
): Promise<ExportRequest | Refusal> {
  let context;
  try {
    context = await actorFromRequest(request, services, dataSource);
  } catch (error) {
    const limited = errorCode(error) === 'RATE_LIMITED';
    const message = 'Authentication required or credentials are invalid';
    return {
      status: limited ? 429 : 401,
      code: limited ? 'RATE_LIMITED' : 'UNAUTHENTICATED',
      message,
    };
  }
  const { teamId, format = 'ndjson' } = request.query;
  // who may export: the rule map's row, as for any GraphQL operation
  const decision = await decide(ROUTE_OPERATIONS.auditExport, undefined, { teamId }, context);
  if (decision !== true) {
    const code = String(decision.extensions.code);
    return { status: STATUS_OF[code] ?? 403, code, message: decision.message };
  }
  if (format !== 'ndjson' && format !== 'csv') return badRequest('format must be ndjson or csv');
  const filter = parseFilter(request.query);
  if (typeof filter === 'string') return badRequest(filter);
  const team = teamId!.toLowerCase();
  try {
    // the same checks the stream will make (action names, ids)
    auditWhere(team, filter);
  } catch (error) {
    return badRequest(error instanceof GraphQLError ? error.message : 'bad filter');
  }
  return { actor: context.actor, team, format, filter };
}

const badRequest = (message: string): Refusal => ({ status: 400, code: 'BAD_USER_INPUT', message });

function recordExport(
  services: Services,
  { actor, team, format, filter }: ExportRequest,
): Promise<void> {
  return services.audit.recordAlone(actor, {
    teamId: team,
    action: 'audit.exported',
    outcome: AuditOutcome.SUCCESS,
    targetType: 'Team',
    targetId: team,
    metadata: { format, filter: { ...filter } },
  });
}

function sendExport(
  reply: FastifyReply,
  services: Services,
  { team, format, filter }: ExportRequest,
) {
  const stream = Readable.from(
    lines(services.auditLog.batches(team, filter), format, services.heavyWork),
  );
  const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
  return reply
    .header('content-type', type)
    .header('content-disposition', `attachment; filename="audit-${team}.${format}"`)
    .header('cache-control', 'no-store')
    .send(stream);
}

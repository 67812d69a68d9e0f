import type { ActorType, AuditOutcome } from './audit-event.entity';

/**
 * How a field of type T travels: into the INSERT, and into the hash and exported rows as plain
 * JSON. Reading needs none: pg gives each column in its field's type, and AUDIT_SELECT names it
 * as the field. Methods, not function properties, so a Codec<Date> may stand where the row's
 * fields are walked as Codec<unknown>.
 */
interface Codec<T> {
  toSql(value: T): unknown;
  toPlain(value: T): unknown;
}

const AS_IS: Codec<unknown> = { toSql: (value) => value, toPlain: (value) => value };

function asIs<T>(): Codec<T> {
  return AS_IS;
}

/** timestamptz: a Date (pg reads it as one), plain as its ISO string */
const TIME: Codec<Date> = { toSql: (value) => value, toPlain: (value) => value.toISOString() };

/** jsonb: sent as JSON text; pg parses it back */
const JSONB: Codec<Record<string, unknown> | null> = {
  toSql: (value) => (value === null ? null : JSON.stringify(value)),
  toPlain: (value) => value,
};

/**
 * `writer`: given by whoever records the event (AuditRow). `chain`: set when the event is
 * appended to its chain (its position, the key it concerns, the links).
 */
type Source = 'writer' | 'chain';

/**
 * THE description of an audit row, the same in audit_events and security_events: each field's
 * name in code, its column, how it is stored and made plain, who gives it, its position in exports.
 *
 * The order of this list is the order of the hash (every field but `hash`, in this order) and of
 * the table's columns. Reordering or removing a field changes every hash, and existing chains would
 * no longer verify; so would adding one, unless rows written before it are hashed without it.
 *
 * `exported` is the field's column in exports and archive files (exportedRow): that order is older
 * than this list, and CSV readers depend on it.
 */
export const AUDIT_FIELDS = [
  { name: 'id', column: 'id', codec: asIs<string>(), from: 'writer', exported: 1 },
  { name: 'teamId', column: 'team_id', codec: asIs<string | null>(), from: 'writer', exported: 3 },
  // bigint, kept as a string (a chain may outgrow a JS number), as pg reads it
  { name: 'chainSeq', column: 'chain_seq', codec: asIs<string>(), from: 'chain', exported: 18 },
  { name: 'occurredAt', column: 'occurred_at', codec: TIME, from: 'writer', exported: 2 },
  { name: 'action', column: 'action', codec: asIs<string>(), from: 'writer', exported: 4 },
  { name: 'outcome', column: 'outcome', codec: asIs<AuditOutcome>(), from: 'writer', exported: 5 },
  {
    name: 'actorType',
    column: 'actor_type',
    codec: asIs<ActorType>(),
    from: 'writer',
    exported: 6,
  },
  {
    name: 'actorUserId',
    column: 'actor_user_id',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 7,
  },
  {
    name: 'actorApiKeyId',
    column: 'actor_api_key_id',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 8,
  },
  {
    name: 'actorLabel',
    column: 'actor_label',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 9,
  },
  {
    name: 'targetType',
    column: 'target_type',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 10,
  },
  {
    name: 'targetId',
    column: 'target_id',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 11,
  },
  { name: 'ip', column: 'ip', codec: asIs<string | null>(), from: 'writer', exported: 12 },
  {
    name: 'userAgent',
    column: 'user_agent',
    codec: asIs<string | null>(),
    from: 'writer',
    exported: 13,
  },
  { name: 'requestId', column: 'request_id', codec: asIs<string>(), from: 'writer', exported: 14 },
  // the key the event concerns, as actor or target: derived, so one indexed column finds everything about a key
  {
    name: 'apiKeyId',
    column: 'api_key_id',
    codec: asIs<string | null>(),
    from: 'chain',
    exported: 19,
  },
  { name: 'metadata', column: 'metadata', codec: JSONB, from: 'writer', exported: 15 },
  {
    name: 'prevHash',
    column: 'prev_hash',
    codec: asIs<string | null>(),
    from: 'chain',
    exported: 16,
  },
  { name: 'hash', column: 'hash', codec: asIs<string>(), from: 'chain', exported: 17 },
] as const satisfies readonly {
  name: string;
  column: string;
  codec: Codec<unknown>;
  from: Source;
  exported: number;
}[];

type Field = (typeof AUDIT_FIELDS)[number];
type ValueOf<F extends Field> = F['codec'] extends Codec<infer T> ? T : never;

/** A stored audit event, field by field. */
export type AuditRecord = { [F in Field as F['name']]: ValueOf<F> };

/** A stored audit event as PostgreSQL returns its row (snake_case columns). */
export type AuditColumns = { [F in Field as F['column']]: ValueOf<F> };

/** What the hash covers: everything but the hash. */
export type HashableEvent = Omit<AuditRecord, 'hash'>;

/** The fields whoever records an event gives; appending it to its chain sets the rest. */
export type WrittenFields = Pick<AuditRecord, Extract<Field, { from: 'writer' }>['name']>;

// The same list, walked field by field (each codec taking the value of its own field).
const FIELDS: readonly { name: string; column: string; codec: Codec<unknown>; exported: number }[] =
  AUDIT_FIELDS;
const HASHED = FIELDS.filter((field) => field.name !== 'hash');
const EXPORTED = [...FIELDS].sort((a, b) => a.exported - b.exported);

/** The table's columns, in order, for an INSERT. */
export const AUDIT_COLUMN_LIST = FIELDS.map((field) => field.column).join(', ');

/**
 * A SELECT list of every column of a table aliased `e`, under its field's name: rows come back as
 * AuditRecords, with no mapping row by row (exports and chain walks read millions).
 */
export const AUDIT_SELECT = FIELDS.map((field) => `e.${field.column} AS "${field.name}"`).join(
  ', ',
);

/** The export's columns, in order (the CSV header). */
export const EXPORT_COLUMNS = EXPORTED.map((field) => field.name as keyof AuditRecord);

/** The values the hash covers, in its order. */
export function hashedValues(event: HashableEvent): unknown[] {
  const fields = event as unknown as Record<string, unknown>;
  return HASHED.map((field) => field.codec.toPlain(fields[field.name]));
}

/** The parameters of one row of an INSERT into AUDIT_COLUMN_LIST. */
export function insertValues(event: AuditRecord): unknown[] {
  const fields = event as unknown as Record<string, unknown>;
  return FIELDS.map((field) => field.codec.toSql(fields[field.name]));
}

/**
 * One event as a plain row: an object of an NDJSON export or archive file, a line of a CSV export.
 * It holds every hashed field (chainSeq and apiKeyId included), so each row of a file can be
 * hashed again and linked to the one before it, away from the service. (A loop, not
 * Object.fromEntries: an export writes millions of rows.)
 */
export function exportedRow(event: AuditRecord): Record<keyof AuditRecord, unknown> {
  const fields = event as unknown as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const field of EXPORTED) row[field.name] = field.codec.toPlain(fields[field.name]);
  return row;
}

import { Client } from 'pg';
import { testDatabaseUrl } from './server';

export interface TableDump {
  table: string;
  rowCount: number;
  /** every row, every value, rendered every way a secret could hide in it */
  text: string;
}

/** A value as text, bytea both as hex and decoded as text (utf8, latin1) and base64. */
function render(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) {
    return [
      value.toString('hex'),
      value.toString('utf8'),
      value.toString('latin1'),
      value.toString('base64'),
    ].join(' ');
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(render).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  // what is left is a primitive (string, number, boolean, bigint) or undefined
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}

/**
 * Every base table of the public schema, SELECT * of each, plus PostgreSQL's own text form of
 * each row (row::text: bytea as \x hex, arrays and jsonb as PostgreSQL prints them). Read with a
 * connection of its own, straight from the database.
 */
export async function dumpAllTables(): Promise<TableDump[]> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const dumps: TableDump[] = [];
    for (const { table_name } of tables) {
      const ident = client.escapeIdentifier(table_name);
      const { rows } = await client.query<Record<string, unknown>>(`SELECT * FROM public.${ident}`);
      const { rows: asText } = await client.query<{ row: string }>(
        `SELECT t::text AS row FROM public.${ident} t`,
      );
      const parts: string[] = [];
      for (const row of rows)
        parts.push(
          Object.entries(row)
            .map(([column, value]) => `${column}=${render(value)}`)
            .join('\n'),
        );
      for (const { row } of asText) parts.push(row);
      dumps.push({ table: table_name, rowCount: rows.length, text: parts.join('\n') });
    }
    return dumps;
  } finally {
    await client.end();
  }
}

/** Rows of one table as plain objects, read straight from the database. */
export async function selectRows<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

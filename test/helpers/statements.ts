import type { DataSource } from 'typeorm';

/** Transaction control: not counted as work (BEGIN, COMMIT, ROLLBACK, savepoints). */
const CONTROL = /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b/i;

/**
 * The SQL statements a server sends through its DataSource while `run` runs (transaction control
 * left out). Counts every statement of that server: run nothing else against it meanwhile.
 */
export async function statementsDuring<T>(
  dataSource: DataSource,
  run: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const logger = dataSource.logger;
  const original = logger.logQuery.bind(logger);
  const statements: string[] = [];
  logger.logQuery = (query, parameters, queryRunner) => {
    if (!CONTROL.test(query)) statements.push(query.replace(/\s+/g, ' ').trim());
    original(query, parameters, queryRunner);
  };
  try {
    return { result: await run(), statements };
  } finally {
    logger.logQuery = original;
  }
}

import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

// Connection refused/reset, pool timeout, server shutting down or restarting.
const UNAVAILABLE_CODES = new Set([
  ...['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'],
  ...['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'],
]);
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'timeout exceeded when trying to connect',
    'Connection terminated',
    'connection is closed',
    'Client has encountered a connection error',
    'the database system is (starting up|shutting down)',
  ].join('|'),
  'i',
);
const RELEASED_RUNNER = new Set([
  'QueryRunnerProviderAlreadyReleasedError',
  'QueryRunnerAlreadyReleasedError',
]);

/**
 * Is this error the database being out of reach (as opposed to a bug)? Looks through TypeORM's
 * driverError and through GraphQL errors without a path (context creation wraps what it caught).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  const original = unwrapResolverError(error) as
    | {
        code?: string;
        message?: string;
        driverError?: unknown;
        originalError?: unknown;
        extensions?: { reason?: unknown };
      }
    | undefined;
  if (!original || typeof original !== 'object' || depth > 5) return false;
  if (original.extensions?.reason === 'DATABASE_UNAVAILABLE') return true;
  // TypeORM releases a transaction's connection when it breaks; the transaction's next query (or
  // its COMMIT, which then never reaches PostgreSQL) says so
  if (RELEASED_RUNNER.has(String((original as { name?: unknown }).name))) return true;
  if (original.code && UNAVAILABLE_CODES.has(original.code)) return true;
  if (original.driverError) return isDatabaseUnavailable(original.driverError, depth + 1);
  if (original.originalError && original.originalError !== original)
    return isDatabaseUnavailable(original.originalError, depth + 1);
  return typeof original.message === 'string' && UNAVAILABLE_MESSAGE.test(original.message);
}

/** What the client is told while the database is out of reach: fail fast and say so (the client may retry). */
export const DATABASE_UNAVAILABLE_ANSWER = {
  message: 'The database is unavailable; try again shortly',
  extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'DATABASE_UNAVAILABLE' },
} as const satisfies GraphQLFormattedError;

/** The error to throw while the database is out of reach: HTTP 503 and a message that says so. */
export function databaseUnavailable(): GraphQLError {
  const { message, extensions } = DATABASE_UNAVAILABLE_ANSWER;
  return new GraphQLError(message, { extensions: { ...extensions, http: { status: 503 } } });
}

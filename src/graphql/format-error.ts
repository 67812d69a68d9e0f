import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { Config } from '../config';

const KNOWN_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * The last word on what a client sees of an error:
 * - our own errors and GraphQL's (parse, validation) pass with their code;
 * - anything else (a database error, a bug) becomes a plain INTERNAL_SERVER_ERROR: no SQL, no
 *   stack, no internals, outside development;
 * - variable coercion errors stop repeating the value the client sent.
 */
export function formatError(config: Pick<Config, 'nodeEnv'>) {
  const development = config.nodeEnv === 'development';
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code) && original instanceof GraphQLError) {
      return { ...formatted, message: withoutEchoedValue(formatted.message) };
    }
    if (!development) {
      console.error('unexpected error', original);
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return formatted;
  };
}

/** `Variable "$name" got invalid value "<what you sent>"; ...` -> without the value. */
function withoutEchoedValue(message: string): string {
  return message.replace(/got invalid value .*?(; |$)/s, 'got an invalid value$1');
}

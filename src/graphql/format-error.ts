import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { DATABASE_UNAVAILABLE_ANSWER, isDatabaseUnavailable } from '../database-unavailable';
import { loggableError } from '../logger';

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
 *   stack, no internals, unless NODE_ENV=development was set explicitly (config.exposeErrors);
 * - variable coercion errors stop repeating the value the client sent.
 */
export function formatError(config: Pick<Config, 'exposeErrors'>, logger: Logger) {
  const development = config.exposeErrors;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code) && original instanceof GraphQLError) {
      return { ...formatted, message: withoutEchoedValue(formatted.message, original) };
    }
    // Apollo's own refusals of a request (a persisted query of an unknown version, a hash that
    // does not match its query) carry no code, only an HTTP 4xx: the client's fault, in fixed words
    const status = (original as { extensions?: { http?: { status?: unknown } } } | undefined)
      ?.extensions?.http?.status;
    if (
      original instanceof GraphQLError &&
      typeof status === 'number' &&
      status >= 400 &&
      status < 500
    ) {
      return { message: original.message, extensions: { code: 'BAD_REQUEST' } };
    }
    if (isDatabaseUnavailable(error)) {
      // Fail fast and say so: the client may retry; /readyz tells the load balancer.
      return { ...DATABASE_UNAVAILABLE_ANSWER, path: formatted.path };
    }
    if (!development) {
      logger.error({ err: loggableError(original) }, 'unexpected error');
      return {
        message: 'Internal server error',
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    }
    return formatted;
  };
}

const NAME = '[_A-Za-z][_0-9A-Za-z]*';
const VARIABLE_ERROR = new RegExp(`^Variable "\\$(${NAME})" got invalid value `);
// Scalars end their message with the value: `String cannot represent a non string value: <it>`.
const SCALAR_REASON = new RegExp(`^(${NAME}) cannot represent`);
const ENUM_REASON = new RegExp(
  `^Enum "(${NAME})" cannot represent|does not exist in "(${NAME})" enum`,
);
const UNKNOWN_FIELD = new RegExp(`is not defined by type "(${NAME})"`);
// Reasons made of schema names only: safe to repeat as they are.
const FIXED_REASONS = [
  /^Expected non-nullable type "[^"]{1,200}" not to be null\.$/,
  new RegExp(`^Expected type "${NAME}" to be an object\\.$`),
  new RegExp(`^Field "${NAME}" of required type "[^"]{1,200}" was not provided\\.$`),
];

/**
 * GraphQL's own coercion messages quote the offending value (`Variable "$name" got invalid value
 * <what you sent> at "name.field"; String cannot represent a non string value: <it again>`), and a
 * value may be a pasted secret or 10,000 characters. Keep the variable, the path inside it and the
 * kind of problem; drop every copy of the value. Literals in the document get the same treatment.
 */
function withoutEchoedValue(message: string, error: GraphQLError): string {
  const variable = VARIABLE_ERROR.exec(message);
  if (!variable) {
    const reason = valueFreeReason(message);
    return reason ? reason.charAt(0).toUpperCase() + reason.slice(1) : message;
  }
  const name = variable[1];
  // Apollo keeps the error of the failing coercion as originalError: its message is the reason.
  const reason = error.originalError?.message;
  let where = '';
  if (reason && message.endsWith(`; ${reason}`)) {
    const before = message.slice(0, message.length - reason.length - 2);
    const at = new RegExp(` at "(${name}(?:\\.${NAME}|\\[\\d+\\])*)"$`).exec(before);
    if (at) where = ` at "${at[1]}"`;
  }
  const why = reason
    ? FIXED_REASONS.some((re) => re.test(reason))
      ? reason
      : valueFreeReason(reason)
    : null;
  return `Variable "$${name}" got an invalid value${where}${why ? `; ${why}` : ''}`;
}

/** A message about a value, rewritten without the value; null when it is not one we know. */
function valueFreeReason(message: string): string | null {
  const scalar = SCALAR_REASON.exec(message);
  if (scalar) return `${scalar[1]} cannot represent this value`;
  const enumeration = ENUM_REASON.exec(message);
  if (enumeration) return `not a value of the ${enumeration[1] ?? enumeration[2]} enum`;
  const unknownField = UNKNOWN_FIELD.exec(message);
  if (unknownField) return `a field is not defined by type "${unknownField[1]}"`;
  const typed = new RegExp(`^Expected (?:value of )?type "([^"]{1,200})"`).exec(message);
  if (typed) return `not a valid ${typed[1]}`;
  return null;
}

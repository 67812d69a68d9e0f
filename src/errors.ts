import { GraphQLError } from 'graphql';

/**
 * Every error a client sees carries one of the contract's codes. Messages are fixed text:
 * they never echo what the client sent, so nothing secret or hostile is reflected back.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

function appError(
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

// Errors of one field: the answer is still HTTP 200, the error sits at the field's path and the
// other fields of the operation answer as usual.
export const unauthenticated = (message = 'Authentication required or credentials are invalid') =>
  appError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') =>
  appError('FORBIDDEN', message);
export const notFound = (what = 'Object') => appError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string, field?: string) =>
  appError('BAD_USER_INPUT', message, field ? { field } : {});
export const conflict = (message: string) => appError('CONFLICT', message);
export const rateLimited = (message = 'Too many attempts; try again later') =>
  appError('RATE_LIMITED', message);

export function errorCode(error: unknown): string | undefined {
  return error instanceof GraphQLError ? (error.extensions?.code as string | undefined) : undefined;
}

/**
 * Credentials on the request itself were refused: the whole HTTP response is a 401, not an error
 * of one field, with one message whatever was wrong (unknown key, wrong secret, expired session, garbage).
 */
export function unauthenticatedWholeRequest(): GraphQLError {
  return appError('UNAUTHENTICATED', 'Authentication required or credentials are invalid', {
    http: { status: 401 },
  });
}

/**
 * A 429 for the whole request: too many failed attempts from the caller's address, or, given
 * `retryAfterSeconds`, an API key whose own rate limit is used up (with Retry-After).
 */
export function rateLimitedWholeRequest(retryAfterSeconds?: number): GraphQLError {
  if (retryAfterSeconds === undefined)
    return appError('RATE_LIMITED', 'Too many failed attempts; try again later', {
      http: { status: 429 },
    });
  return appError('RATE_LIMITED', "This API key's rate limit is used up; try again later", {
    http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
  });
}

/**
 * A 429 for the whole request: the API key's credits are used up; with Retry-After until the
 * next refill when it has one.
 */
export function usageExceededWholeRequest(retryAfterSeconds: number | null): GraphQLError {
  const headers = new Map<string, string>();
  if (retryAfterSeconds !== null) headers.set('retry-after', String(retryAfterSeconds));
  return appError('RATE_LIMITED', "This API key's credits are used up", {
    reason: 'USAGE_EXCEEDED',
    http: { status: 429, headers },
  });
}

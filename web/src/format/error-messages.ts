import type { CombinedError } from 'urql';

/**
 * Every error the app shows, in one place: what happened and what to do about it. Error codes
 * and the server's own messages stay off the screen; a page may replace the sentence of a code
 * with one that fits what the person was doing (overrides).
 */
export type ErrorCodeName =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR'
  | 'NETWORK';

export type MessageOverrides = Partial<Record<ErrorCodeName, string>>;

const MESSAGES: Record<ErrorCodeName, string> = {
  UNAUTHENTICATED: 'Your session has ended. Sign in again to continue.',
  FORBIDDEN:
    "You don't have permission to do this in this team. Ask your team's administrator if you need it.",
  NOT_FOUND:
    "We couldn't find this. It may have been deleted, or you may no longer be part of its team. Go back and try again.",
  BAD_USER_INPUT: "Some of what you entered wasn't accepted. Check the fields and try again.",
  CONFLICT:
    'This clashes with something that already exists or was just changed. Reload the page, then try again.',
  RATE_LIMITED: 'Too many attempts in a short time. Wait a minute, then try again.',
  INTERNAL_SERVER_ERROR:
    'Something went wrong on our side and nothing was changed. Try again in a moment.',
  NETWORK: "The service couldn't be reached. Check your connection, then try again in a moment.",
};

// Plain names of the input fields the server may name in a BAD_USER_INPUT answer.
const FIELD_NAMES: Record<string, string> = {
  name: 'Name',
  description: 'Description',
  scopes: 'What this key can do',
  allowedIps: 'Allowed addresses',
  expiresAt: 'Expiry',
  email: 'Email',
  password: 'Password',
  newPassword: 'New password',
  currentPassword: 'Current password',
  permissions: 'Permissions',
  permission: 'Permission',
  from: 'From',
  to: 'To',
  actions: 'Action',
  maxLifetimeDays: 'Maximum lifetime in days',
  requireExpiry: 'Every key must expire',
  requireAllowedIps: 'Every key must list its allowed addresses',
  allowedApplicationScopes: 'Application permissions keys may hold',
  applicationScopes: 'Catalogue of application permissions',
  'applicationScopes.description': 'What it allows',
  rateLimit: 'Rate limit',
  'rateLimit.limit': 'Requests allowed',
  'rateLimit.windowSeconds': 'Time window',
  credits: 'Credits',
  'credits.remaining': 'Credits left',
  'credits.refillAmount': 'Refill to',
  'credits.refillInterval': 'Refill',
  defaultRateLimit: 'Default rate limit for new keys',
  'defaultRateLimit.limit': 'Requests allowed',
  'defaultRateLimit.windowSeconds': 'Time window',
};

function isKnownCode(code: string): code is ErrorCodeName {
  return code in MESSAGES;
}

/** The code of the first error, or NETWORK when the request itself failed. */
export function errorCode(error: CombinedError | undefined): ErrorCodeName | undefined {
  if (!error) return undefined;
  for (const graphQLError of error.graphQLErrors) {
    const code = graphQLError.extensions?.code;
    if (typeof code === 'string') return isKnownCode(code) ? code : 'INTERNAL_SERVER_ERROR';
  }
  return error.networkError ? 'NETWORK' : 'INTERNAL_SERVER_ERROR';
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  return errorCode(error) === 'UNAUTHENTICATED';
}

function fieldOf(error: CombinedError): string | undefined {
  const field = error.graphQLErrors[0]?.extensions?.field;
  return typeof field === 'string' ? FIELD_NAMES[field] : undefined;
}

/** The sentence for a code (session routes answer codes without a CombinedError). */
export function describeCode(
  code: string,
  overrides: MessageOverrides = {},
  retryAfterSeconds?: number,
): string {
  const known: ErrorCodeName = isKnownCode(code) ? code : 'INTERNAL_SERVER_ERROR';
  if (known === 'RATE_LIMITED' && retryAfterSeconds !== undefined && !overrides.RATE_LIMITED) {
    return `Too many attempts in a short time. Wait ${waitFor(retryAfterSeconds)}, then try again.`;
  }
  return overrides[known] ?? MESSAGES[known];
}

export function describeError(error: CombinedError, overrides: MessageOverrides = {}): string {
  const code = errorCode(error) ?? 'INTERNAL_SERVER_ERROR';
  const field = code === 'BAD_USER_INPUT' && !overrides.BAD_USER_INPUT ? fieldOf(error) : undefined;
  if (field) return `“${field}” wasn't accepted. Check it and try again.`;
  return describeCode(code, overrides);
}

function waitFor(seconds: number): string {
  if (seconds <= 60) return seconds <= 1 ? 'a second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}

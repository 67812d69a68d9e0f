import type { ShellQuery } from '../graphql/generated';

/**
 * The session routes of the server. The session itself is an HttpOnly cookie that this code
 * never sees: a successful POST sets it, DELETE ends it server-side and clears it.
 */
export type SessionUser = ShellQuery['me'];

export type SessionAnswer =
  { ok: true; user: SessionUser } | { ok: false; code: string; retryAfterSeconds?: number };

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

export function signIn(email: string, password: string): Promise<SessionAnswer> {
  return postSession('/v1/session', { email, password });
}

export function signUp(input: SignUpInput): Promise<SessionAnswer> {
  return postSession('/v1/session/sign-up', input);
}

/** Ends the session; a failure (already gone, network) still leaves the person signed out here. */
export async function signOut(): Promise<void> {
  try {
    await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
  } catch {
    // the app forgets the session anyway; the cookie expires on its own
  }
}

async function postSession(url: string, body: object): Promise<SessionAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, code: 'NETWORK' };
  }
  const json = await readJson(response);
  if (response.ok) {
    const user = userOf(json);
    return user ? { ok: true, user } : { ok: false, code: 'INTERNAL_SERVER_ERROR' };
  }
  return {
    ok: false,
    code: errorCodeOf(json) ?? codeOfStatus(response.status),
    retryAfterSeconds: retryAfter(response),
  };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function userOf(json: unknown): SessionUser | undefined {
  if (!isObject(json) || !isObject(json.user)) return undefined;
  const { id, email, name } = json.user;
  if (typeof id !== 'string' || typeof email !== 'string' || typeof name !== 'string') {
    return undefined;
  }
  return { id, email, name };
}

/** The code of a refusal, in the API's shape: `{ errors: [{ message, extensions: { code } }] }`. */
function errorCodeOf(json: unknown): string | undefined {
  if (!isObject(json) || !Array.isArray(json.errors)) return undefined;
  const first: unknown = (json.errors as unknown[])[0];
  if (!isObject(first) || !isObject(first.extensions)) return undefined;
  return typeof first.extensions.code === 'string' ? first.extensions.code : undefined;
}

// When the body says nothing usable (a proxy's error page), the status still does.
function codeOfStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BAD_USER_INPUT',
    401: 'UNAUTHENTICATED',
    403: 'FORBIDDEN',
    409: 'CONFLICT',
    429: 'RATE_LIMITED',
  };
  return codes[status] ?? 'INTERNAL_SERVER_ERROR';
}

function retryAfter(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

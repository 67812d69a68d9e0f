/**
 * Where to go after signing in: the page the person asked for before the session ran out, kept
 * in the sign-in address (?next=/teams/...). Only a path of this app is accepted, never another
 * origin ("//evil.example" or "https://..."), so the link can't send anyone elsewhere.
 */
const DEFAULT_PATH = '/dashboard';
const AUTH_PATHS = new Set(['/sign-in', '/sign-up']);

export function safeReturnPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) {
    return DEFAULT_PATH;
  }
  const pathname = next.split(/[?#]/)[0];
  return AUTH_PATHS.has(pathname) ? DEFAULT_PATH : next;
}

/** The sign-in page's address that comes back to `returnTo` afterwards. */
export function signInPath(returnTo?: string): string {
  const next = safeReturnPath(returnTo);
  return next === DEFAULT_PATH ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}

export function currentPath(): string {
  const { pathname, search, hash } = window.location;
  return `${pathname}${search}${hash}`;
}

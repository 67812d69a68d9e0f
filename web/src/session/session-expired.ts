/**
 * What to do when the server says the session is gone (an UNAUTHENTICATED answer): the GraphQL
 * client reports it here and the router, created later, decides where to go. A registry rather
 * than an import, so the client module does not depend on the router.
 */
let handler: (() => void) | undefined;

export function onSessionExpired(next: () => void): void {
  handler = next;
}

export function sessionExpired(): void {
  handler?.();
}

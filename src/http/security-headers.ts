import type { FastifyInstance } from 'fastify';

/**
 * The headers a careful web app sends with each of its pages (the web app's and the
 * playground's): the service's HTML is the one thing a browser renders, so it is where a
 * hostile page, frame or injected script would get in.
 *
 * Scripts come only from this origin's files: no inline script, no eval. Styles also allow
 * 'unsafe-inline': the component library and GraphiQL inject <style> elements at run time (seen
 * in Chromium: with `style-src 'self'` both render unstyled). A style can't run code.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // older browsers that don't read frame-ancestors
  'x-frame-options': 'DENY',
  // addresses in the app hold team and key ids: they stay here
  'referrer-policy': 'no-referrer',
  // a page this one opens can't reach back into it
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  // a page may show a secret (once): never kept by the browser or a proxy
  'cache-control': 'no-store',
};

/** The page headers on every HTML answer; HSTS too when the browser came over HTTPS. */
export function registerPageSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) {
      reply.headers(PAGE_HEADERS);
      if (request.protocol === 'https')
        reply.header('strict-transport-security', 'max-age=31536000');
    }
    return payload;
  });
}

import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fail } from './refusal';

/**
 * The business users' web app (web/, built by Vite into dist/web), served at `/` on the same origin
 * as /graphql, so its session cookie and its requests never leave this service.
 *
 * - /assets/*: the built files, whose names carry a hash of their content: cached for a year and
 *   never revalidated (a new build has new names);
 * - index.html, for `/` and any other page address the app routes itself (/dashboard,
 *   /teams/…): never cached, so a new build is picked up at the next load;
 * - everything else unknown (an API path, a file that isn't there) is a 404 in the API's shape.
 */
export async function registerWebApp(app: FastifyInstance, log: Pick<Console, 'warn'>) {
  const dir = builtAppDir();
  const index = existsSync(path.join(dir, 'index.html'))
    ? readFileSync(path.join(dir, 'index.html'))
    : null;
  if (!index) log.warn(`the web app is not built (${dir}): run npm run build:web`);
  else
    await app.register(fastifyStatic, {
      root: path.join(dir, 'assets'),
      prefix: '/assets/',
      index: false,
      wildcard: true,
      immutable: true,
      maxAge: '365d',
      decorateReply: false,
      setHeaders: (reply) => {
        reply.header('x-content-type-options', 'nosniff');
        reply.header('cross-origin-resource-policy', 'same-origin');
      },
    });
  const sendPage = (_request: FastifyRequest, reply: FastifyReply) =>
    index
      ? reply.type('text/html; charset=utf-8').send(index)
      : reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
  app.get('/', sendPage);
  app.setNotFoundHandler((request, reply) =>
    isPageAddress(request) ? sendPage(request, reply) : fail(reply, 404, 'NOT_FOUND', 'Not found'),
  );
}

/** Paths of the service itself, never pages of the app, whatever the browser asks. */
const SERVICE_PATHS = /^\/(v1|graphql|playground|assets|metrics|healthz|readyz)(\/|$)/;

/** A browser asking for a page: GET or HEAD, HTML accepted, outside the service's own paths. */
function isPageAddress(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (SERVICE_PATHS.test(request.url)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Empress API Access</title></head>
<body><main><h1>The web app is not built yet</h1>
<p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it), then reload this page.</p>
</main></body></html>
`;

/**
 * dist/web under the project's root: the folder holding package.json, above this file whether it
 * runs from src/ (tests) or from dist/src/ (npm start).
 */
function builtAppDir(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

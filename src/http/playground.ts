import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_HEADERS, WALKTHROUGH_VARIABLES, walkthroughDocument } from './walkthrough';

/**
 * GraphiQL, served by the service itself and fully offline.
 *
 * `playgroundLandingPage(app)` (server.ts hands it to Apollo's plugins) does both halves:
 * - an Apollo plugin whose `renderLandingPage()` is the GraphiQL page: Apollo answers GET /graphql
 *   with `Accept: text/html` with it (no CDN, unlike Apollo's default landing page);
 * - Fastify routes under /playground/assets/ serving the page's scripts and styles from
 *   node_modules (graphiql 3 UMD, React 18 UMD) plus its start-up script.
 *
 * The start-up code is a served file (playground.js), so the Content-Security-Policy of the
 * service's pages (`script-src 'self'`: no inline script, no eval) holds here too.
 */

const PLAYGROUND_ASSET_PREFIX = '/playground/assets/';

/** Start-up code of the page: renders GraphiQL with the walkthrough as its default tab. */
function bootstrapScript(schema?: GraphQLSchema): string {
  const settings = {
    query: walkthroughDocument(schema),
    variables: JSON.stringify(WALKTHROUGH_VARIABLES, null, 2),
    headers: DEFAULT_HEADERS,
  };
  // JSON is valid JS; escaping '<' keeps the text inert should it ever be inlined in HTML.
  const json = JSON.stringify(settings).replace(/</g, '\\u003c');
  return `(function () {
  'use strict';
  var settings = ${json};
  // The page is served by the GraphQL endpoint itself: send operations where it came from.
  var endpoint = window.location.pathname;
  var base = GraphiQL.createFetcher({ url: endpoint });
  var PLACEHOLDER = /<[^>]*>/;
  // The example header ("Bearer <token from logIn>") must not spoil logIn: a header whose value
  // still holds a <placeholder> is not sent.
  function withoutPlaceholders(headers) {
    var out = {};
    if (!headers) return out;
    Object.keys(headers).forEach(function (name) {
      var value = headers[name];
      if (typeof value === 'string' && PLACEHOLDER.test(value)) return;
      out[name] = value;
    });
    return out;
  }
  function fetcher(params, options) {
    var opts = Object.assign({}, options || {});
    opts.headers = withoutPlaceholders(opts.headers);
    return base(params, opts);
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: [{ query: settings.query, variables: settings.variables, headers: settings.headers }],
      defaultHeaders: settings.headers,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // A session token stays out of localStorage unless the user ticks "persist headers".
      shouldPersistHeaders: false
    })
  );
})();
`;
}

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
.playground-loading { font: 14px system-ui, sans-serif; padding: 2rem; color: #555; }
`;

function pageHtml(): string {
  // Relative asset paths: the page lives at /graphql, so they resolve under the same prefix a
  // reverse proxy may add.
  const asset = (name: string) => `.${PLAYGROUND_ASSET_PREFIX}${name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Empress API Access · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('graphiql.min.css')}">
<link rel="stylesheet" href="${asset('playground.css')}">
</head>
<body>
<div id="graphiql"><p class="playground-loading">Loading GraphiQL…</p></div>
<script src="${asset('react.production.min.js')}"></script>
<script src="${asset('react-dom.production.min.js')}"></script>
<script src="${asset('graphiql.min.js')}"></script>
<script src="${asset('playground.js')}"></script>
</body>
</html>
`;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

function asset(body: Buffer | string, type: string): Asset {
  const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    body: buffer,
    type,
    etag: `"${createHash('sha256').update(buffer).digest('base64url').slice(0, 27)}"`,
  };
}

/** The vendored files, read once from node_modules. */
function vendorAssets(): Map<string, Asset> {
  const js = 'application/javascript; charset=utf-8';
  return new Map([
    [
      'react.production.min.js',
      asset(readFileSync(packageFile('react', 'umd/react.production.min.js')), js),
    ],
    [
      'react-dom.production.min.js',
      asset(readFileSync(packageFile('react-dom', 'umd/react-dom.production.min.js')), js),
    ],
    ['graphiql.min.js', asset(readFileSync(packageFile('graphiql', 'graphiql.min.js')), js)],
    [
      'graphiql.min.css',
      asset(readFileSync(packageFile('graphiql', 'graphiql.min.css')), 'text/css; charset=utf-8'),
    ],
  ]);
}

/**
 * One playground per server: the landing page plugin learns the schema when Apollo starts and
 * the routes serve the page's start-up code for that schema.
 */
export class Playground {
  private readonly assets = vendorAssets();
  private readonly html = pageHtml();

  constructor() {
    this.assets.set('playground.css', asset(PAGE_CSS, 'text/css; charset=utf-8'));
    this.assets.set(
      'playground.js',
      asset(bootstrapScript(), 'application/javascript; charset=utf-8'),
    );
  }

  /** Apollo plugin: GraphiQL as the landing page of GET /graphql (Accept: text/html). */
  apolloPlugin(): ApolloServerPlugin {
    return {
      serverWillStart: async ({ schema }) => {
        this.assets.set(
          'playground.js',
          asset(bootstrapScript(schema), 'application/javascript; charset=utf-8'),
        );
        return {
          renderLandingPage: async () => ({ html: this.html }),
        };
      },
    };
  }

  /** GET /playground/assets/:name (the page's headers are the service's: security-headers.ts). */
  registerRoutes(app: FastifyInstance): void {
    app.get<{ Params: { name: string } }>(
      `${PLAYGROUND_ASSET_PREFIX}:name`,
      async (request, reply) => {
        const found = this.assets.get(request.params.name);
        if (!found) return reply.code(404).send({ error: 'not found' });
        reply
          .header('content-type', found.type)
          .header('etag', found.etag)
          .header('cache-control', 'public, max-age=3600')
          .header('x-content-type-options', 'nosniff')
          .header('cross-origin-resource-policy', 'same-origin');
        if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
        return reply.send(found.body);
      },
    );
  }
}

/**
 * What server.ts adds to Apollo's plugins: GraphiQL as the landing page. Registers the asset
 * routes and the HTML security headers on `app` right away (before it listens).
 */
export function playgroundLandingPage(app: FastifyInstance): ApolloServerPlugin {
  const playground = new Playground();
  playground.registerRoutes(app);
  return playground.apolloPlugin();
}

import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { readCredentials } from './auth/authenticate';
import { principalId } from './auth/principal';
import type { Config } from './config';
import type { GraphQLContext } from './context/context';
import { actorFromRequest } from './context/request-context';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';
import { formatError } from './graphql/format-error';
import { queryCostPlugin } from './graphql/query-cost';
import { queryLimitRules } from './graphql/query-limits';
import { registerAuditExportRoute } from './http/audit-export';
import { registerAuthorizeRoute } from './http/authorize';
import { registerHealthRoutes } from './http/health';
import { Metrics, registerMetricsRoute } from './http/metrics';
import { clientRequestIdOf, newRequestId } from './context/request-id';
import { createLogger } from './logger';
import { playgroundLandingPage } from './http/playground';
import { VerificationCode } from './modules/api-key/api-key.types';
import { proxyTrust } from './security/trusted-proxies';
import { buildGuardedSchema } from './schema';
import { createServices, type Services } from './services';

export interface BuiltServer {
  app: FastifyInstance;
  services: Services;
  metrics: Metrics;
  /**
   * stop taking requests, finish those in flight, release resources; the DataSource stays open.
   * graceMs: first keep serving that long with /readyz at 503 and `Connection: close` on every
   * answer, so that load balancers move away and connections accepted just before the stop get
   * their requests read (closing at once would reset them as idle connections)
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface BuildOptions {
  /** where log lines go (tests capture them); default stdout */
  logStream?: DestinationStream;
}

/**
 * Fastify + Apollo + the shield-guarded TypeGraphQL schema. main.ts and the tests both build
 * the server here, so the tests exercise exactly what production runs.
 */
export async function buildServer(config: Config, dataSource: DataSource, options: BuildOptions = {}): Promise<BuiltServer> {
  const logger = createLogger(config, options.logStream);
  const services = createServices(dataSource, config, logger);
  await services.start();
  try {
    return await assemble(config, dataSource, services, logger);
  } catch (error) {
    await services.stop();
    throw error;
  }
}

/** What one GraphQL request did, for its log line and metrics (filled in as it runs). */
interface RequestTrace {
  operation?: string;
  principal?: string;
  outcome?: string;
}

async function assemble(config: Config, dataSource: DataSource, services: Services, logger: Logger): Promise<BuiltServer> {
  const metrics = new Metrics(services, dataSource);
  services.verifier.observer = (via, code) => metrics.verifications.inc({ via, code });
  services.passwords.observer = (event) => metrics.passwordHashing.inc({ event });
  let stopping = false;
  const traces = new WeakMap<object, RequestTrace>();
  // The same traces by request id, for the code that knows only that id (key verification).
  const tracesById = new Map<string, RequestTrace>();
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: newRequestId,
    // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY (nobody by default);
    // anyone else could use it to pose as another address and dodge allow-lists and limits.
    trustProxy: config.trustProxy === false ? false : proxyTrust(config.trustProxy),
    bodyLimit: 1024 * 1024,
  });
  // Anything that escapes a route: a database out of reach is a 503 that says so; any other
  // server error a bare 500 (logged here, never echoed: no SQL, no internals); client errors
  // (bad JSON, unsupported content type, body too large) keep Fastify's 4xx answer.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      const trace = traces.get(request);
      if (trace) trace.outcome ??= 'DATABASE_UNAVAILABLE';
      const { message, extensions } = databaseUnavailable();
      return reply.code(503).send({ errors: [{ message, extensions: { code: extensions.code, reason: extensions.reason } }] });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return reply.send(error);
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (stopping) reply.header('connection', 'close');
    const trace: RequestTrace = {};
    traces.set(request, trace);
    tracesById.set(request.id, trace);
    reply.raw.once('close', () => tracesById.delete(request.id));
  });
  // Routes outside GraphQL (/v1/authorize, /v1/audit/export) authenticate on their own: note whom
  // they served. A key is noted by its verification (below); a session token is looked up here.
  app.addHook('preHandler', async (request) => {
    const trace = traces.get(request);
    if (!trace || request.routeOptions.url === '/graphql' || trace.principal) return;
    const credentials = readCredentials(request.headers);
    if (credentials.kind !== 'session') return;
    const found = await services.users.authenticate(credentials.token).catch(() => null);
    if (found) trace.principal = `user:${found.user.id}`;
  });
  const verify = services.verifier.verify.bind(services.verifier);
  services.verifier.verify = async (input) => {
    const result = await verify(input);
    const trace = tracesById.get(input.requestId);
    if (trace && !trace.principal && result.code === VerificationCode.VALID && result.apiKey) trace.principal = `apiKey:${result.apiKey.id}`;
    return result;
  };
  app.addHook('onResponse', async (request, reply) => {
    const trace = traces.get(request) ?? {};
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
    // reqId (the server's own) comes from the request's child logger: once per line
    const clientRequestId = clientRequestIdOf(request.headers);
    request.log.info(
      {
        ...(clientRequestId ? { clientRequestId } : {}),
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        operation: trace.operation ?? `${request.method} ${route}`,
        principal: trace.principal ?? 'anonymous',
        outcome: trace.outcome ?? (reply.statusCode < 400 ? 'ok' : `http_${reply.statusCode}`),
      },
      'request',
    );
  });

  const schema = await buildGuardedSchema();
  const tracePlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, response, operation, errors }) {
          // Every answer depends on who asks, and some carry a secret shown once: no cache may keep any.
          response.http.headers.set('cache-control', 'no-store');
          const first = operation?.selectionSet.selections.find((s) => s.kind === 'Field');
          const name = operation ? `${operation.operation}:${first && 'name' in first ? first.name.value : '?'}` : 'invalid';
          // the codes the client sees (formatted), so metrics and log agree with the answer
          const sent = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          const codes = (sent ?? errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const outcome = codes.length ? codes[0] : 'ok';
          if ((errors ?? []).some(isDatabaseUnavailable)) response.http.status = 503;
          metrics.operations.inc({ operation: name, outcome });
          metrics.operationSeconds.observe({ operation: name }, Number(process.hrtime.bigint() - started) / 1e9);
          const trace = contextValue?.trace;
          if (trace) Object.assign(trace, { operation: name, outcome });
        },
      };
    },
  };
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.nodeEnv !== 'production',
    // No "Did you mean ...?" field suggestions in production: they map the schema for an attacker.
    hideSchemaDetailsFromClientErrors: config.nodeEnv === 'production',
    // only with NODE_ENV=development set on purpose: an unset NODE_ENV must not leak file paths
    includeStacktraceInErrorResponses: config.exposeErrors,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.limits.queryTokens },
    validationRules: queryLimitRules(config.limits),
    // main.ts owns SIGINT/SIGTERM: it drains requests, flushes usage events and stops the database.
    stopOnTerminationSignals: false,
    formatError: formatError(config, logger),
    plugins: [
      fastifyApolloDrainPlugin(app),
      playgroundLandingPage(app),
      tracePlugin,
      queryCostPlugin(config.limits),
      // Its per-field hooks cost ~a third of a 500-event audit page, and we send no-store anyway.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    context: async (request): Promise<GraphQLContext> => {
      const body = request.body as { operationName?: unknown } | undefined;
      let trace = traces.get(request);
      if (!trace) traces.set(request, (trace = {}));
      try {
        const { actor, loaders } = await actorFromRequest(request, services, dataSource, typeof body?.operationName === 'string' ? body.operationName : null);
        const { principal } = actor;
        trace.principal = principal.type === 'ANONYMOUS' ? 'anonymous' : `${principal.type === 'USER' ? 'user' : 'apiKey'}:${principalId(principal)}`;
        return { actor, loaders, services, trace, log: request.log };
      } catch (error) {
        // refused before any operation ran (bad credentials, rate limit, database down)
        trace.principal = 'anonymous';
        if (isDatabaseUnavailable(error)) {
          trace.outcome = 'DATABASE_UNAVAILABLE';
          throw databaseUnavailable();
        }
        trace.outcome = String((error as { extensions?: { code?: unknown } }).extensions?.code ?? 'INTERNAL_SERVER_ERROR');
        throw error;
      }
    },
  });
  registerHealthRoutes(app, dataSource, () => stopping);
  registerAuthorizeRoute(app, services);
  registerAuditExportRoute(app, services, dataSource, config.limits.exportsPerTeam);
  registerMetricsRoute(app, metrics, config.metricsToken);

  return {
    app,
    services,
    metrics,
    async close(options = {}) {
      stopping = true;
      if (options.graceMs) await new Promise((resolve) => setTimeout(resolve, options.graceMs));
      await app.close();
      await apollo.stop().catch(() => undefined);
      await services.stop();
    },
  };
}

import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Actor } from './actor';
import { authenticate, readCredentials } from './auth/authenticate';
import { principalId } from './auth/principal';
import type { Config } from './config';
import type { GraphQLContext } from './context/context';
import { createLoaders } from './context/loaders';
import { formatError, isDatabaseUnavailable } from './graphql/format-error';
import { queryLimitRules } from './graphql/query-limits';
import { registerAuditExportRoute } from './http/audit-export';
import { registerAuthorizeRoute } from './http/authorize';
import { registerHealthRoutes } from './http/health';
import { Metrics, registerMetricsRoute } from './http/metrics';
import { createLogger } from './logger';
import { playgroundLandingPage } from './http/playground';
import { TeamAccess } from './permissions/team-access';
import { buildGuardedSchema } from './schema';
import { createServices, type Services } from './services';

export interface BuiltServer {
  app: FastifyInstance;
  services: Services;
  metrics: Metrics;
  /** stop taking requests, finish those in flight, release resources; the DataSource stays open */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A caller-supplied X-Request-Id is kept when it is sane, so a gateway's id flows through. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify + Apollo + the shield-guarded TypeGraphQL schema. main.ts and the tests both build
 * the server here, so the tests exercise exactly what production runs.
 */
export interface BuildOptions {
  /** where log lines go (tests capture them); default stdout */
  logStream?: DestinationStream;
}

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
  const traces = new WeakMap<object, RequestTrace>();
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    disableRequestLogging: true,
    genReqId: requestIdOf,
    // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY; anyone else could
    // use it to pose as another address and dodge the per-address limits.
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const trace = traces.get(request) ?? {};
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
    request.log.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        operation: trace.operation,
        principal: trace.principal,
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
          if (contextValue?.noStore) response.http.headers.set('cache-control', 'no-store');
          const first = operation?.selectionSet.selections.find((s) => s.kind === 'Field');
          const name = operation ? `${operation.operation}:${first && 'name' in first ? first.name.value : '?'}` : 'invalid';
          const codes = (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
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
    includeStacktraceInErrorResponses: config.nodeEnv === 'development',
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.limits.queryTokens },
    validationRules: queryLimitRules(config.limits),
    // main.ts owns SIGINT/SIGTERM: it drains requests, flushes usage events and stops the database.
    stopOnTerminationSignals: false,
    formatError: formatError(config, logger),
    plugins: [fastifyApolloDrainPlugin(app), playgroundLandingPage(app), tracePlugin],
  });
  await apollo.start();

  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    context: async (request): Promise<GraphQLContext> => {
      const body = request.body as { operationName?: unknown } | undefined;
      const client = {
        ip: request.ip ?? null,
        requestId: request.id,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
        operation: typeof body?.operationName === 'string' ? body.operationName : null,
      };
      const trace: RequestTrace = {};
      traces.set(request, trace);
      const principal = await authenticate(services, readCredentials(request.headers), client);
      trace.principal = principal.type === 'ANONYMOUS' ? 'anonymous' : `${principal.type === 'USER' ? 'user' : 'apiKey'}:${principalId(principal)}`;
      const actor: Actor = {
        principal,
        access: new TeamAccess(dataSource, principal),
        requestId: client.requestId,
        ip: client.ip,
        userAgent: client.userAgent,
      };
      return { actor, loaders: createLoaders(dataSource), services, noStore: false, trace };
    },
  });
  registerHealthRoutes(app, dataSource);
  registerAuthorizeRoute(app, services);
  registerAuditExportRoute(app, services, dataSource);
  registerMetricsRoute(app, metrics, config.metricsToken);

  return {
    app,
    services,
    metrics,
    async close() {
      await app.close();
      await apollo.stop().catch(() => undefined);
      await services.stop();
    },
  };
}

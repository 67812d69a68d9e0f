import { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { apolloOptions } from './graphql/apollo-options';
import { requestTracePlugin } from './graphql/trace-plugin';
import { registerErrorHandler } from './http/error-handler';
import { Metrics } from './http/metrics';
import { playgroundLandingPage } from './http/playground';
import { registerRequestHooks } from './http/request-hooks';
import { registerRoutes } from './http/routes';
import { createLogger } from './logger';
import type { GraphQLContext } from './modules/graphql-context';
import { createServices, type Services } from './modules/services';
import { newRequestId } from './request/request-id';
import { buildGuardedSchema } from './schema';
import { proxyTrust } from './security/trusted-proxies';

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
export async function buildServer(
  config: Config,
  dataSource: DataSource,
  options: BuildOptions = {},
): Promise<BuiltServer> {
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

async function assemble(
  config: Config,
  dataSource: DataSource,
  services: Services,
  logger: Logger,
): Promise<BuiltServer> {
  const metrics = new Metrics(services, dataSource);
  const app = createApp(config, logger);
  let stopping = false;
  registerErrorHandler(app);
  registerRequestHooks(app, metrics, () => stopping);
  const schema = await buildGuardedSchema();
  const apollo = new ApolloServer<GraphQLContext>(
    apolloOptions(schema, config, logger, [
      fastifyApolloDrainPlugin(app),
      playgroundLandingPage(app),
      requestTracePlugin(metrics),
    ]),
  );
  await apollo.start();
  await registerRoutes(app, config, {
    apollo,
    services,
    dataSource,
    metrics,
    stopping: () => stopping,
  });
  return {
    app,
    services,
    metrics,
    async close(options = {}) {
      stopping = true;
      await closeServer(app, apollo, services, options.graceMs ?? 0);
    },
  };
}

function createApp(config: Config, logger: Logger): FastifyInstance {
  return Fastify({
    // typed as Fastify's logger, so the instance is FastifyInstance's default (pino's Logger would
    // make it a FastifyInstance of its own logger type, which the routes' signatures don't take)
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written by the onResponse hook (request-hooks.ts), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: newRequestId,
    // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY (nobody by default);
    // anyone else could use it to pose as another address and dodge allow-lists and limits.
    trustProxy: config.trustProxy === false ? false : proxyTrust(config.trustProxy),
    bodyLimit: 1024 * 1024,
  });
}

/** BuiltServer.close, once the server says it is stopping: the grace, then Fastify, Apollo and the services. */
async function closeServer(
  app: FastifyInstance,
  apollo: ApolloServer<GraphQLContext>,
  services: Services,
  graceMs: number,
): Promise<void> {
  if (graceMs) await new Promise((resolve) => setTimeout(resolve, graceMs));
  await app.close();
  await apollo.stop().catch(() => undefined);
  await services.stop();
}

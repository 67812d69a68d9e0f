import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Actor } from './actor';
import { authenticate, readCredentials } from './auth/authenticate';
import type { Config } from './config';
import type { GraphQLContext } from './context/context';
import { createLoaders } from './context/loaders';
import { formatError } from './graphql/format-error';
import { registerAuditExportRoute } from './http/audit-export';
import { registerAuthorizeRoute } from './http/authorize';
import { registerHealthRoutes } from './http/health';
import { TeamAccess } from './permissions/team-access';
import { buildGuardedSchema } from './schema';
import { createServices, type Services } from './services';

export interface BuiltServer {
  app: FastifyInstance;
  services: Services;
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
export async function buildServer(config: Config, dataSource: DataSource): Promise<BuiltServer> {
  const services = createServices(dataSource, config);
  await services.start();
  try {
    return await assemble(config, dataSource, services);
  } catch (error) {
    await services.stop();
    throw error;
  }
}

async function assemble(config: Config, dataSource: DataSource, services: Services): Promise<BuiltServer> {
  const app = Fastify({
    logger: false,
    genReqId: requestIdOf,
    // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY; anyone else could
    // use it to pose as another address and dodge the per-address limits.
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const schema = await buildGuardedSchema();
  const noStorePlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (contextValue.noStore) response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.nodeEnv !== 'production',
    includeStacktraceInErrorResponses: config.nodeEnv === 'development',
    csrfPrevention: true,
    formatError: formatError(config),
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled(), noStorePlugin],
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
      const principal = await authenticate(services, readCredentials(request.headers), client);
      const actor: Actor = {
        principal,
        access: new TeamAccess(dataSource, principal),
        requestId: client.requestId,
        ip: client.ip,
        userAgent: client.userAgent,
      };
      return { actor, loaders: createLoaders(dataSource), services, noStore: false };
    },
  });
  registerHealthRoutes(app, dataSource);
  registerAuthorizeRoute(app, services);
  registerAuditExportRoute(app, services, dataSource);

  return {
    app,
    services,
    async close() {
      await app.close();
      await apollo.stop().catch(() => undefined);
      await services.stop();
    },
  };
}

import type { ApolloServer } from '@apollo/server';
import fastifyApollo from '@as-integrations/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { actorFromRequest } from '../context/request-context';
import { databaseUnavailable, isDatabaseUnavailable } from '../database-unavailable';
import { errorCode } from '../errors';
import type { GraphQLContext } from '../modules/graphql-context';
import type { Services } from '../modules/services';
import { traceOf } from '../request/trace';

/** GET, POST and OPTIONS /graphql: Apollo, with a context of its own for each request. */
export async function registerGraphQLRoute(
  app: FastifyInstance,
  apollo: ApolloServer<GraphQLContext>,
  services: Services,
  dataSource: DataSource,
): Promise<void> {
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    context: graphqlContext(services, dataSource),
  });
}

/**
 * The context of one GraphQL request: its caller, built as for the routes outside GraphQL
 * (actorFromRequest), the services, and the request's logger and trace. A request refused before
 * any operation ran (bad credentials, a rate limit, the database down) is traced with its code.
 */
function graphqlContext(
  services: Services,
  dataSource: DataSource,
): (request: FastifyRequest) => Promise<GraphQLContext> {
  return async (request) => {
    const trace = traceOf(request);
    try {
      const { actor, loaders } = await actorFromRequest(request, services, dataSource);
      return { actor, loaders, services, trace, log: request.log };
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        trace.outcome = 'DATABASE_UNAVAILABLE';
        throw databaseUnavailable();
      }
      trace.outcome = errorCode(error) ?? 'INTERNAL_SERVER_ERROR';
      throw error;
    }
  };
}

import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { GraphQLContext } from '../modules/graphql-context';
import type { Services } from '../modules/services';
import { registerAuditExportRoute } from './audit-export';
import { registerAuthorizeRoute } from './authorize';
import { registerGraphQLRoute } from './graphql-route';
import { registerHealthRoutes } from './health';
import { registerMetricsRoute, type Metrics } from './metrics';
import { registerSecretScanningRoute } from './secret-scanning';
import { registerPageSecurityHeaders } from './security-headers';
import { registerSessionRoutes } from './session';
import { registerWebApp } from './web-app';

export interface RouteParts {
  apollo: ApolloServer<GraphQLContext>;
  services: Services;
  dataSource: DataSource;
  metrics: Metrics;
  /** true once the server is stopping: /readyz answers 503 */
  stopping: () => boolean;
}

/**
 * Every route of the service (the playground's assets come with its Apollo plugin), and the web
 * app at `/` with the headers of its pages.
 */
export async function registerRoutes(
  app: FastifyInstance,
  config: Config,
  parts: RouteParts,
): Promise<void> {
  const { apollo, services, dataSource, metrics, stopping } = parts;
  await registerGraphQLRoute(app, apollo, services, dataSource);
  registerHealthRoutes(app, dataSource, stopping);
  registerAuthorizeRoute(app, services);
  registerSecretScanningRoute(app, services, dataSource, config.githubScanningKeys);
  registerAuditExportRoute(app, services, dataSource, config.limits.exportsPerTeam);
  registerMetricsRoute(app, metrics, config.metricsToken);
  registerSessionRoutes(app, services, dataSource);
  registerPageSecurityHeaders(app);
  await registerWebApp(app, app.log);
}

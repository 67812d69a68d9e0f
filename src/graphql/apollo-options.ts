import type { ApolloServerOptionsWithGateway, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { GraphQLContext } from '../modules/graphql-context';
import { compiledExecution } from './compiled-executor';
import { formatError } from './format-error';
import { queryCostPlugin } from './query-cost';
import { queryLimitRules } from './query-limits';

/**
 * How Apollo serves the schema (executed by compiled operations: compiled-executor.ts): what it tells (introspection, suggestions, stack traces, errors),
 * what it accepts (CSRF prevention, no batches, the limits on a document and its cost), and its
 * plugins: the server's own (`first`: draining, the playground, the request trace) and then ours.
 */
export function apolloOptions(
  schema: GraphQLSchema,
  config: Config,
  logger: Logger,
  first: ApolloServerPlugin<GraphQLContext>[],
): ApolloServerOptionsWithGateway<GraphQLContext> {
  return {
    gateway: compiledExecution(schema),
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
      ...first,
      queryCostPlugin(config.limits),
      // Its per-field hooks cost ~a third of a 500-event audit page, and we send no-store anyway.
      ApolloServerPluginCacheControlDisabled(),
    ],
  };
}

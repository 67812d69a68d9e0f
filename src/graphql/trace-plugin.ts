import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { isDatabaseUnavailable } from '../database-unavailable';
import type { GraphQLContext } from '../modules/graphql-context';

/** The metrics an operation is counted in (http/metrics.ts). */
export interface OperationMetrics {
  operations: { inc(labels: { operation: string; outcome: string }): void };
  operationSeconds: { observe(labels: { operation: string }, seconds: number): void };
}

/**
 * Each GraphQL operation's name and outcome, for the request's log line (its trace) and the
 * metrics. The name is the operation's type and first root field (mutation:createApiKey), never the
 * client's operationName; the outcome is `ok` or the first error code the client sees. Every answer
 * is `Cache-Control: no-store`, and a database out of reach makes it a 503.
 */
export function requestTracePlugin(metrics: OperationMetrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, response, operation, errors }) {
          // Every answer depends on who asks, and some carry a secret shown once: no cache may keep any.
          response.http.headers.set('cache-control', 'no-store');
          const first = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
          const name = operation
            ? `${operation.operation}:${first && 'name' in first ? first.name.value : '?'}`
            : 'invalid';
          // the codes the client sees (formatted), so metrics and log agree with the answer
          const sent =
            response.body.kind === 'single'
              ? response.body.singleResult.errors
              : response.body.initialResult.errors;
          const codes = (sent ?? errors ?? []).map((e) => {
            const code = e.extensions?.code;
            return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
          });
          const outcome = codes.length ? codes[0] : 'ok';
          if ((errors ?? []).some(isDatabaseUnavailable)) response.http.status = 503;
          metrics.operations.inc({ operation: name, outcome });
          metrics.operationSeconds.observe(
            { operation: name },
            Number(process.hrtime.bigint() - started) / 1e9,
          );
          // no context when the request was refused before one was built
          const trace = contextValue?.trace;
          if (trace) Object.assign(trace, { operation: name, outcome });
        },
      };
    },
  };
}

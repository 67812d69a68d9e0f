import type { FieldNode } from 'graphql';
import type { Logger } from 'pino';
import type { Actor } from '../actor';
import type { RequestTrace } from '../request/trace';
import type { Loaders } from './loaders';
import type { Services } from './services';

/** What every resolver receives (the permission rules read part of it), built for each request of /graphql. */
export interface GraphQLContext {
  actor: Actor;
  loaders: Loaders;
  services: Services;
  /** the request's own logger: its lines carry the request id */
  log: Pick<Logger, 'error'>;
  /** the operation's cost so far, set once it is resolved (graphql/query-cost.ts); measured lists add to it */
  cost?: { charge(field: FieldNode, items: number): void };
  /** what this request did, for its log line: the request trace plugin fills in its operation and outcome */
  trace: RequestTrace;
}

import type { Actor } from '../actor';
import type { FieldNode } from 'graphql';
import type { Logger } from 'pino';
import type { Services } from '../services';
import type { Loaders } from './loaders';

/** What every resolver and permission rule receives. Built per request in server.ts. */
export interface GraphQLContext {
  actor: Actor;
  loaders: Loaders;
  services: Services;
  /** the request's own logger: its lines carry the request id */
  log: Pick<Logger, 'error'>;
  /** the operation's cost so far, set once it is resolved (graphql/query-cost.ts); measured lists add to it */
  cost?: { charge(field: FieldNode, items: number): void };
  /** what this request did, for its log line: filled in by server.ts */
  trace?: { operation?: string; principal?: string; outcome?: string };
}

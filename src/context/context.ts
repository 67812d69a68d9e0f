import type { Actor } from '../actor';
import type { CostMeter } from '../graphql/query-cost';
import type { Services } from '../services';
import type { Loaders } from './loaders';

/** What every resolver and permission rule receives. Built per request in server.ts. */
export interface GraphQLContext {
  actor: Actor;
  loaders: Loaders;
  services: Services;
  /** the operation's cost so far, set once it is resolved (query-cost.ts); measured lists add to it */
  cost?: CostMeter;
  /** what this request did, for its log line: filled in by server.ts */
  trace?: { operation?: string; principal?: string; outcome?: string };
}

import type { Actor } from '../actor';
import type { Services } from '../services';
import type { Loaders } from './loaders';

/** What every resolver and permission rule receives. Built per request in server.ts. */
export interface GraphQLContext {
  actor: Actor;
  loaders: Loaders;
  services: Services;
  /** what this request did, for its log line: filled in by server.ts */
  trace?: { operation?: string; principal?: string; outcome?: string };
}

import { InitialSchema1764160000000 } from './migrations/1764160000000-InitialSchema';
import { RateLimits1764170000000 } from './migrations/1764170000000-RateLimits';

/** In order. Listed by hand so that tsc, swc and jest all see the same set. */
export const migrations = [InitialSchema1764160000000, RateLimits1764170000000];

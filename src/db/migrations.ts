import { InitialSchema1764160000000 } from './migrations/1764160000000-InitialSchema';

/** In order. Listed by hand so that tsc, swc and jest all see the same set. */
export const migrations = [InitialSchema1764160000000];

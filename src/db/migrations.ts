import { InitialSchema1764160000000 } from './migrations/1764160000000-InitialSchema';
import { RateLimits1764170000000 } from './migrations/1764170000000-RateLimits';
import { AuditTimeIndex1764180000000 } from './migrations/1764180000000-AuditTimeIndex';
import { KeyOwners1764190000000 } from './migrations/1764190000000-KeyOwners';
import { SessionDetails1764200000000 } from './migrations/1764200000000-SessionDetails';
import { Invitations1764210000000 } from './migrations/1764210000000-Invitations';
import { SecurityLog1764220000000 } from './migrations/1764220000000-SecurityLog';
import { ChainLimits1764230000000 } from './migrations/1764230000000-ChainLimits';
import { RateLimitExpiry1764240000000 } from './migrations/1764240000000-RateLimitExpiry';
import { KeyAddresses1764250000000 } from './migrations/1764250000000-KeyAddresses';
import { ApiKeyPolicies1764260000000 } from './migrations/1764260000000-ApiKeyPolicies';
import { KeyRateLimits1764270000000 } from './migrations/1764270000000-KeyRateLimits';
import { KeyCredits1764280000000 } from './migrations/1764280000000-KeyCredits';
import { LeakedSecrets1764290000000 } from './migrations/1764290000000-LeakedSecrets';
import { Webhooks1764300000000 } from './migrations/1764300000000-Webhooks';
import { EmailOutbox1764310000000 } from './migrations/1764310000000-EmailOutbox';
import { EmailVerification1764320000000 } from './migrations/1764320000000-EmailVerification';

/** In order. Listed by hand so that tsc, swc and jest all see the same set. */
export const migrations = [
  InitialSchema1764160000000,
  RateLimits1764170000000,
  AuditTimeIndex1764180000000,
  KeyOwners1764190000000,
  SessionDetails1764200000000,
  Invitations1764210000000,
  SecurityLog1764220000000,
  ChainLimits1764230000000,
  RateLimitExpiry1764240000000,
  KeyAddresses1764250000000,
  ApiKeyPolicies1764260000000,
  KeyRateLimits1764270000000,
  KeyCredits1764280000000,
  LeakedSecrets1764290000000,
  Webhooks1764300000000,
  EmailOutbox1764310000000,
  EmailVerification1764320000000,
];

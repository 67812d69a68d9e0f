import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ApiKeyFilter } from './api-key-filter';
import { ApiKey, ApiKeyStatus, RevocationReason } from './api-key.entity';
import { RateLimitInput, RateLimitState } from './rate-limit.types';
import { UsageCreditsInput } from './usage-credits.types';

export enum VerificationCode {
  VALID = 'VALID',
  INVALID = 'INVALID',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
  IP_NOT_ALLOWED = 'IP_NOT_ALLOWED',
  INSUFFICIENT_SCOPE = 'INSUFFICIENT_SCOPE',
  RATE_LIMITED = 'RATE_LIMITED',
  USAGE_EXCEEDED = 'USAGE_EXCEEDED',
}
registerEnumType(VerificationCode, {
  name: 'VerificationCode',
  description: 'The answer of a credential check.',
  valuesConfig: {
    VALID: {
      description: 'The key and secret match, and the key may be used here for these scopes.',
    },
    INVALID: {
      description:
        'The secret did not match: unknown key, wrong or outdated secret, bad checksum or garbage. Nothing more is told.',
    },
    EXPIRED: { description: 'The secret matched but the key is past its expiry.' },
    REVOKED: { description: 'The secret matched but the key was revoked.' },
    IP_NOT_ALLOWED: {
      description: "The secret matched but the client address is outside the key's allowedIps.",
    },
    INSUFFICIENT_SCOPE: { description: 'The secret matched but the key lacks a required scope.' },
    RATE_LIMITED: {
      description:
        "Too many failed checks from this address, or the key's own rate limit is used up; try again later.",
    },
    USAGE_EXCEEDED: {
      description:
        "The secret matched but the key's credits don't cover this request's cost (until its next refill, if it has one).",
    },
  },
});

@ObjectType({
  description: 'A new or regenerated key with its secret. The only time the secret is ever shown.',
})
export class ApiKeyWithSecret {
  @Field(() => ApiKey, { description: 'The key, as apiKey(id) shows it from now on.' })
  apiKey!: ApiKey;

  @Field({
    description:
      'the API secret: returned here once, never stored in plain text, never shown again',
  })
  secret!: string;
}

@ObjectType({ description: 'Where a page ends and whether another follows.' })
export class PageInfo {
  @Field({ description: 'true when a next page exists: pass endCursor as `after`.' })
  hasNextPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last edge of this page; null on an empty page.',
  })
  endCursor!: string | null;
}

@ObjectType({ description: 'One key of a page, with its cursor.' })
export class ApiKeyEdge {
  @Field({ description: 'Opaque position of this key in the list.' })
  cursor!: string;

  @Field(() => ApiKey, { description: 'The key.' })
  node!: ApiKey;
}

@ObjectType({ description: 'A page of API keys, newest first.' })
export class ApiKeyConnection {
  @Field(() => [ApiKeyEdge], { description: 'The keys of this page.' })
  edges!: ApiKeyEdge[];

  @Field(() => PageInfo, { description: 'How to get the next page.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many keys match the filter, on all pages.' })
  totalCount!: number;
}

/** The arguments of the apiKeys list: the team, what to narrow it to, and the page. */
@ArgsType()
export class ApiKeysArgs implements ApiKeyFilter {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;

  @Field(() => ApiKeyStatus, { nullable: true, description: 'Only keys with this status.' })
  status?: ApiKeyStatus | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true: only keys whose owner has left the team (they need a new owner: transferApiKey); false: only the others.',
  })
  needsOwner?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Only keys whose name holds this text (any case) or whose public key starts with it; at most 100 characters.',
  })
  search?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only keys never used; false: only keys used at least once.',
  })
  neverUsed?: boolean | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Only keys that expire before this time (UTC); keys that never expire are left out.',
  })
  expiresBefore?: Date | null;

  @Field(() => RevocationReason, {
    nullable: true,
    description: 'Only keys revoked for this reason (LEAKED: their secret was reported as found).',
  })
  revocationReason?: RevocationReason | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Only keys revoked after this time (UTC); keys not revoked are left out.',
  })
  revokedAfter?: Date | null;

  @Field(() => Int, {
    nullable: true,
    defaultValue: 50,
    description: 'Page size, 0 to 100 (larger values give 100).',
  })
  first!: number;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  after?: string | null;
}

@ObjectType({ description: 'The answer to verifyApiCredentials.' })
export class ApiKeyVerification {
  @Field({ description: 'true only for code VALID.' })
  valid!: boolean;

  @Field(() => VerificationCode, { description: 'Why the credentials were or were not accepted.' })
  code!: VerificationCode;

  @Field(() => ApiKey, { nullable: true, description: 'null unless the secret matched' })
  apiKey!: ApiKey | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Team of the key; null unless the secret matched.',
  })
  teamId!: string | null;

  @Field(() => [String], { description: "The key's scopes; empty unless the secret matched." })
  scopes!: string[];

  @Field(() => RateLimitState, {
    nullable: true,
    description: 'Where the key stands against its rate limit; null for a key without one.',
  })
  rateLimit!: RateLimitState | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "The key's credits left after this request; null for a key without credits or when the secret did not match.",
  })
  creditsRemaining!: number | null;
}

@InputType({ description: 'A new API key.' })
export class CreateApiKeyInput {
  @Field(() => ID, { description: 'Team that will own the key.' })
  teamId!: string;

  @Field({ description: 'Name, e.g. the application that will use it; 1 to 100 characters.' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What the key is for; up to 1,000 characters.',
  })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'What the key may do: read permissions of this API (team:read, members:read, apiKeys:read, audit:read) and application scopes such as orders:read.',
  })
  scopes?: string[] | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the key stops working (UTC); must be in the future. Omit for no expiry.',
  })
  expiresAt?: Date | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Addresses or CIDR blocks the key may be used from; empty or omitted means any.',
  })
  allowedIps?: string[] | null;

  @Field(() => RateLimitInput, {
    nullable: true,
    description:
      "Requests the key may make per window, on every instance together; omit for the team's default (if any).",
  })
  rateLimit?: RateLimitInput | null;

  @Field(() => UsageCreditsInput, {
    nullable: true,
    description:
      'Credits the key may spend (each request costs 1 unless told); omit for unlimited.',
  })
  credits?: UsageCreditsInput | null;
}

@InputType({ description: 'Changes to an API key; omitted fields stay as they are.' })
export class UpdateApiKeyInput {
  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'New description; an empty string clears it.',
  })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'New scopes, replacing the old ones.' })
  scopes?: string[] | null;

  @Field(() => Date, {
    nullable: true,
    description: 'New expiry (UTC, in the future); null removes the expiry.',
  })
  expiresAt?: Date | null;

  @Field(() => [String], {
    nullable: true,
    description: 'New allowed addresses, replacing the old ones; [] allows any.',
  })
  allowedIps?: string[] | null;

  @Field(() => RateLimitInput, { nullable: true, description: 'A new rate limit.' })
  rateLimit?: RateLimitInput | null;

  @Field(() => Boolean, { nullable: true, description: 'true removes the rate limit.' })
  clearRateLimit?: boolean | null;

  @Field(() => UsageCreditsInput, {
    nullable: true,
    description: 'New credits, replacing what is left; leases instances hold are dropped.',
  })
  credits?: UsageCreditsInput | null;

  @Field(() => Boolean, { nullable: true, description: 'true makes the key unlimited again.' })
  clearCredits?: boolean | null;
}

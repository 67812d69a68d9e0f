import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { RateLimit } from './rate-limit.types';
import { creditsOf, RefillInterval, UsageCredits } from './usage-credits.types';

export enum ApiKeyStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}

registerEnumType(ApiKeyStatus, {
  name: 'ApiKeyStatus',
  description: 'Whether a key can still be used.',
  valuesConfig: {
    ACTIVE: { description: 'Usable: not revoked and not past its expiry.' },
    EXPIRED: { description: 'Past its expiresAt; refused everywhere.' },
    REVOKED: {
      description:
        'Revoked (by a person, or because its secret was reported as leaked); refused everywhere, for good.',
    },
  },
});

export enum RevocationReason {
  MANUAL = 'MANUAL',
  LEAKED = 'LEAKED',
}

registerEnumType(RevocationReason, {
  name: 'RevocationReason',
  description: 'Why a key was revoked.',
  valuesConfig: {
    MANUAL: { description: 'Revoked by a person (revokeApiKey).' },
    LEAKED: {
      description:
        'Revoked by the service because its secret was reported as found in public (reportLeakedSecret, or GitHub secret scanning).',
    },
  },
});

/** the longest leakSource kept: a longer address is cut to this many characters */
export const LEAK_SOURCE_MAX = 500;

@ObjectType({
  description: 'An API key of a team. Its secret is never part of it: see ApiKeyWithSecret.',
})
@Entity('api_keys')
export class ApiKey {
  @Field(() => ID, { description: 'Stable identifier of the key (UUID); not the key itself.' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  teamId!: string;

  @Field({ description: 'Name given by its creator, e.g. the application that uses it.' })
  @Column('text')
  name!: string;

  @Field(() => String, { nullable: true, description: 'Free text about what the key is for.' })
  @Column('text', { nullable: true })
  description!: string | null;

  @Field({ description: 'the public API key: empk_...' })
  @Column('text')
  key!: string;

  /** SHA-256 of the current secret: the secret itself is never stored */
  @Column('bytea', { select: true })
  secretDigest!: Buffer;

  @Field({ description: 'last four characters of the current secret, to tell secrets apart' })
  @Column('text')
  secretLast4!: string;

  @Field(() => Int, { description: '1 at creation, +1 at every regeneration' })
  @Column('integer', { default: 1 })
  secretVersion!: number;

  @Field(() => Date, {
    nullable: true,
    description: 'When the secret was last regenerated (UTC); null if never.',
  })
  @Column('timestamptz', { nullable: true })
  secretRegeneratedAt!: Date | null;

  @Field(() => [String], {
    description:
      'What an application may do with the key: read permissions of this API and application scopes such as orders:read.',
  })
  @Column('text', { array: true, default: () => "'{}'" })
  scopes!: string[];

  @Field(() => [String], { description: 'CIDR blocks or addresses; empty means any address' })
  @Column('text', { array: true, default: () => "'{}'" })
  allowedIps!: string[];

  @Field(() => Date, {
    nullable: true,
    description: 'After this time (UTC) the key is EXPIRED; null: never expires.',
  })
  @Column('timestamptz', { nullable: true })
  expiresAt!: Date | null;

  @Field(() => RateLimit, {
    nullable: true,
    description: 'requests allowed per window, on every instance together; null: no limit',
  })
  @Column('jsonb', { nullable: true })
  rateLimit!: RateLimit | null;

  /** credits left in the database (leases held by instances already taken out); null: unlimited */
  @Column('integer', { nullable: true })
  creditsRemaining!: number | null;

  /** what creditsRemaining is set to at each refill */
  @Column('integer', { nullable: true })
  creditsRefillAmount!: number | null;

  @Column('text', { nullable: true })
  creditsRefillInterval!: RefillInterval | null;

  /** when the credits were last set or refilled: leases taken before it are void */
  @Column('timestamptz', { nullable: true })
  creditsLastRefillAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the key was revoked (UTC); null while it is not.',
  })
  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;

  @Field(() => RevocationReason, {
    nullable: true,
    description:
      'Why the key was revoked: MANUAL (by a person) or LEAKED (its secret was reported as found in public); null while it is not revoked.',
  })
  @Column('text', { nullable: true })
  revocationReason!: RevocationReason | null;

  @Field(() => String, {
    nullable: true,
    description: `Where its leaked secret was found, as the reporter gave it (an address, cut to ${LEAK_SOURCE_MAX} characters); null unless revocationReason is LEAKED, or when the reporter named no place.`,
  })
  @Column('text', { nullable: true })
  leakSource!: string | null;

  @Column('uuid', { nullable: true })
  createdById!: string | null;

  /** the member answerable for the key: its creator, or whom it was transferred to */
  @Column('uuid', { nullable: true })
  ownerId!: string | null;

  @Field({ description: 'When the key was created (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Last time the key was presented (UTC); may lag real use by a few seconds.',
  })
  @Column('timestamptz', { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Address the key was last presented from.' })
  @Column('text', { nullable: true })
  lastUsedIp!: string | null;

  @Field(() => UsageCredits, { nullable: true, description: 'credits left; null: unlimited' })
  get credits(): UsageCredits | null {
    return creditsOf(this);
  }

  @Field(() => ApiKeyStatus, { description: 'ACTIVE, EXPIRED or REVOKED, as of now.' })
  get status(): ApiKeyStatus {
    return apiKeyStatus(this);
  }
}

export function apiKeyStatus(
  key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>,
  now = new Date(),
): ApiKeyStatus {
  if (key.revokedAt) return ApiKeyStatus.REVOKED;
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return ApiKeyStatus.EXPIRED;
  return ApiKeyStatus.ACTIVE;
}

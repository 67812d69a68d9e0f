import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { badInput } from '../../errors';

export const MAX_CREDITS = 1_000_000_000;
/** the most credits one request may cost */
export const MAX_COST = 10_000;

export enum RefillInterval {
  DAILY = 'DAILY',
  MONTHLY = 'MONTHLY',
}
registerEnumType(RefillInterval, {
  name: 'RefillInterval',
  description: "When a key's credits are refilled (UTC).",
  valuesConfig: {
    DAILY: { description: 'Every day at 00:00 UTC.' },
    MONTHLY: { description: 'On the first day of every month at 00:00 UTC.' },
  },
});

@ObjectType({ description: 'Credits a key has left, and how they are refilled.' })
export class UsageCredits {
  @Field(() => Int, {
    description:
      'Credits left, on every instance together (each running instance may hold a few of them as a lease; see the admin guide).',
  })
  remaining!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'What remaining is set to at each refill; null: never refilled.',
  })
  refillAmount!: number | null;

  @Field(() => RefillInterval, { nullable: true, description: 'When the credits are refilled.' })
  refillInterval!: RefillInterval | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the credits were last set or refilled (UTC).',
  })
  lastRefillAt!: Date | null;
}

@InputType({ description: 'Credits for a key: what it has now, and how they are refilled.' })
export class UsageCreditsInput {
  @Field(() => Int, { description: `Credits left now, 0 to ${MAX_CREDITS.toLocaleString('en')}.` })
  remaining!: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'What remaining is set to at each refill (1 or more); give it with refillInterval.',
  })
  refillAmount?: number | null;

  @Field(() => RefillInterval, {
    nullable: true,
    description:
      'When to refill; give it with refillAmount. Omit both for credits that never refill.',
  })
  refillInterval?: RefillInterval | null;
}

/** A key's credits as stored: in columns of its row, so the lease statement can change them atomically. */
export interface CreditColumns {
  creditsRemaining: number | null;
  creditsRefillAmount: number | null;
  creditsRefillInterval: RefillInterval | null;
  creditsLastRefillAt: Date | null;
}

export const NO_CREDITS: CreditColumns = {
  creditsRemaining: null,
  creditsRefillAmount: null,
  creditsRefillInterval: null,
  creditsLastRefillAt: null,
};

const count = (value: unknown, min: number, field: string): number => {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > MAX_CREDITS)
    throw badInput(`${field} must be ${min} to ${MAX_CREDITS}`, field);
  return value as number;
};

/**
 * Credits as given, checked, as the columns that store them. Setting credits starts the count
 * again (lastRefillAt: now, to the millisecond, as the lease statement writes it): leases that
 * instances took from the old count are dropped, not spent against the new one.
 */
export function checkCredits(input: UsageCreditsInput, now = new Date()): CreditColumns {
  const remaining = count(input.remaining, 0, 'credits.remaining');
  const amount = input.refillAmount ?? null;
  const interval = input.refillInterval ?? null;
  if ((amount === null) !== (interval === null))
    throw badInput('Give refillAmount and refillInterval together', 'credits.refillInterval');
  return {
    creditsRemaining: remaining,
    creditsRefillAmount: amount === null ? null : count(amount, 1, 'credits.refillAmount'),
    creditsRefillInterval: interval,
    creditsLastRefillAt: now,
  };
}

/** The start of the refill period `at` falls in (UTC): its day, or its month. */
export function periodStart(interval: RefillInterval, at: Date): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (interval === RefillInterval.DAILY) return new Date(day);
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The next refill after `at` (UTC): the next midnight, or the first of the next month. */
export function nextRefillAt(interval: RefillInterval, at: Date): Date {
  const start = periodStart(interval, at);
  if (interval === RefillInterval.DAILY) return new Date(start.getTime() + 86_400_000);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/**
 * A key's credits as they stand: a refill that is due counts as done (the first use of the key
 * in the new period writes it, on whichever instance sees it first).
 */
export function creditsOf(columns: CreditColumns, now = new Date()): UsageCredits | null {
  const { creditsRemaining, creditsRefillAmount, creditsRefillInterval, creditsLastRefillAt } =
    columns;
  if (creditsRemaining === null) return null;
  const due =
    creditsRefillInterval !== null &&
    creditsLastRefillAt !== null &&
    creditsLastRefillAt < periodStart(creditsRefillInterval, now);
  return {
    remaining: due ? creditsRefillAmount! : creditsRemaining,
    refillAmount: creditsRefillAmount,
    refillInterval: creditsRefillInterval,
    lastRefillAt: creditsLastRefillAt,
  };
}

/** The credits one request costs: 0 (checks the key without using any) to MAX_COST. */
export function checkCost(cost: unknown, field = 'cost'): number {
  if (!Number.isInteger(cost) || (cost as number) < 0 || (cost as number) > MAX_COST)
    throw badInput(`${field} must be a whole number from 0 to ${MAX_COST}`, field);
  return cost as number;
}

import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { badInput } from '../../errors';

export const MAX_RATE_LIMIT = 1_000_000;
export const MAX_RATE_WINDOW_SECONDS = 86_400;

@ObjectType({ description: 'Requests a key may make per window, on every instance together.' })
export class RateLimit {
  @Field(() => Int, { description: 'Requests allowed in one window.' })
  limit!: number;

  @Field(() => Int, { description: 'Length of the window in seconds (1 to 86400).' })
  windowSeconds!: number;
}

@InputType({ description: 'Requests a key may make per window.' })
export class RateLimitInput {
  @Field(() => Int, { description: '1 to 1,000,000 requests.' })
  limit!: number;

  @Field(() => Int, { description: '1 to 86400 seconds.' })
  windowSeconds!: number;
}

@ObjectType({ description: 'Where a key stands against its rate limit after this check.' })
export class RateLimitState {
  @Field(() => Int, { description: 'Requests allowed in one window.' })
  limit!: number;

  @Field(() => Int, { description: 'Requests left in the current window.' })
  remaining!: number;

  @Field({ description: 'When the current window ends and the count starts again (UTC).' })
  resetAt!: Date;
}

/** A rate limit as given, checked; `field` names it in the error (rateLimit, defaultRateLimit). */
export function checkRateLimit(input: RateLimitInput, field = 'rateLimit'): RateLimit {
  const { limit, windowSeconds } = input;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT)
    throw badInput(`${field}.limit must be 1 to ${MAX_RATE_LIMIT}`, `${field}.limit`);
  if (
    !Number.isInteger(windowSeconds) ||
    windowSeconds < 1 ||
    windowSeconds > MAX_RATE_WINDOW_SECONDS
  )
    throw badInput(
      `${field}.windowSeconds must be 1 to ${MAX_RATE_WINDOW_SECONDS}`,
      `${field}.windowSeconds`,
    );
  return { limit, windowSeconds };
}

import { Fieldset, Group, Select, TextInput } from '@mantine/core';
import {
  isRefillChoice,
  REFILL_CHOICES,
  refillAmountProblem,
  remainingProblem,
  requestsProblem,
  windowChoices,
  type CreditValues,
  type RateLimitValues,
} from './limit-form';

interface RateLimitProps {
  legend: string;
  value: RateLimitValues;
  onChange: (value: RateLimitValues) => void;
  /** under "Requests allowed": what an empty field means here */
  description: string;
}

/** "Requests allowed" and its "Time window": a rate limit, or none when the number is empty. */
export function RateLimitFields({ legend, value, onChange, description }: RateLimitProps) {
  return (
    <Fieldset legend={legend}>
      <Group align="flex-start" gap="sm" wrap="wrap">
        <TextInput
          label="Requests allowed"
          description={description}
          inputMode="numeric"
          autoComplete="off"
          style={{ flex: 2, minWidth: 220 }}
          value={value.requests}
          error={requestsProblem(value)}
          onChange={(event) => onChange({ ...value, requests: event.currentTarget.value })}
        />
        <Select
          label="Time window"
          description="Requests are counted in windows of this length."
          style={{ flex: 1, minWidth: 160 }}
          data={windowChoices(value.window)}
          value={value.window}
          allowDeselect={false}
          comboboxProps={{ withinPortal: false }}
          onChange={(window) => window && onChange({ ...value, window })}
        />
      </Group>
    </Fieldset>
  );
}

interface CreditProps {
  value: CreditValues;
  onChange: (value: CreditValues) => void;
  /** the key has credits now: a new number replaces what it has left */
  replacing: boolean;
}

/** "Credits left" and how they are refilled; unlimited when the number is empty. */
export function CreditFields({ value, onChange, replacing }: CreditProps) {
  const set = <K extends keyof CreditValues>(field: K, v: CreditValues[K]) =>
    onChange({ ...value, [field]: v });
  const help = replacing
    ? 'Each request uses one credit. A new number replaces what the key has left; leave it empty to make the key unlimited.'
    : 'Optional. Each request uses one credit; with none left the key is refused until it is refilled. Leave it empty for unlimited.';
  return (
    <Fieldset legend="Credits">
      <Group align="flex-start" gap="sm" wrap="wrap">
        <TextInput
          label="Credits left"
          description={help}
          inputMode="numeric"
          autoComplete="off"
          style={{ flex: 2, minWidth: 220 }}
          value={value.remaining}
          error={value.remaining.trim() ? remainingProblem(value) : null}
          onChange={(event) => set('remaining', event.currentTarget.value)}
        />
        <Select
          label="Refill"
          description="Sets the credits back to an amount."
          style={{ flex: 1, minWidth: 160 }}
          data={REFILL_CHOICES}
          value={value.refill}
          allowDeselect={false}
          comboboxProps={{ withinPortal: false }}
          onChange={(refill) => isRefillChoice(refill) && set('refill', refill)}
        />
      </Group>
      {value.refill !== 'NEVER' ? (
        <TextInput
          mt="sm"
          label="Refill to"
          description="The credits the key has after each refill."
          required
          inputMode="numeric"
          autoComplete="off"
          maw={320}
          value={value.refillAmount}
          error={value.refillAmount.trim() ? refillAmountProblem(value) : null}
          onChange={(event) => set('refillAmount', event.currentTarget.value)}
        />
      ) : null}
    </Fieldset>
  );
}

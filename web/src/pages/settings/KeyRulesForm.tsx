import { Button, Checkbox, Fieldset, Group, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import { usePermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import type { CatalogEntry } from '../../format/permissions';
import { SetApiKeyPolicyDocument, type KeyRulesFragment } from '../../graphql/generated';
import { appScopesProblem, splitScopes } from '../api-access/key-form';
import {
  rateLimitOf,
  rateLimitValuesOf,
  requestsProblem,
  type RateLimitValues,
} from '../api-access/limit-form';
import { RateLimitFields } from '../api-access/LimitFields';

interface CatalogueRow {
  /** React's key for the row: rows are added and removed in any order */
  id: number;
  name: string;
  description: string;
}

interface RulesValues {
  /** as typed; empty for no limit */
  maxLifetimeDays: string;
  requireExpiry: boolean;
  requireAllowedIps: boolean;
  /** as typed, separated by commas or lines; empty allows any */
  allowed: string;
  catalogue: CatalogueRow[];
  /** the rate limit new keys get when they set none; empty requests for none */
  defaultRateLimit: RateLimitValues;
}

let nextRowId = 0;
const row = (name = '', description = ''): CatalogueRow => ({
  id: nextRowId++,
  name,
  description,
});

function valuesOf(rules: KeyRulesFragment): RulesValues {
  return {
    maxLifetimeDays: rules.maxLifetimeDays ? String(rules.maxLifetimeDays) : '',
    requireExpiry: rules.requireExpiry,
    requireAllowedIps: rules.requireAllowedIps,
    allowed: (rules.allowedApplicationScopes ?? []).join(', '),
    catalogue: rules.applicationScopes.map((entry) => row(entry.name, entry.description)),
    defaultRateLimit: rateLimitValuesOf(rules.defaultRateLimit),
  };
}

const MAX_DAYS = 3650;

/** The first problem of the form, in words; null when it can be sent. Helps typing only. */
function rulesProblem(values: RulesValues, permissions: readonly CatalogEntry[]): string | null {
  const days = values.maxLifetimeDays.trim();
  if (days && !(/^\d+$/.test(days) && Number(days) >= 1 && Number(days) <= MAX_DAYS)) {
    return `Enter a maximum lifetime of 1 to ${MAX_DAYS} days, or leave it empty for no limit.`;
  }
  const allowed = appScopesProblem(values.allowed, permissions);
  if (allowed) return allowed;
  const rateLimit = requestsProblem(values.defaultRateLimit);
  if (rateLimit) return rateLimit;
  const seen = new Set<string>();
  for (const entry of values.catalogue) {
    const name = entry.name.trim();
    if (!name && !entry.description.trim()) continue;
    const problem = appScopesProblem(name, permissions);
    if (problem || !name) return problem ?? 'Give every entry of the catalogue a name.';
    if (seen.has(name)) return `“${name}” is in the catalogue twice. Remove one of them.`;
    seen.add(name);
    const length = entry.description.trim().length;
    if (length < 1 || length > 200)
      return `Say in 1 to 200 characters what “${name}” allows an application to do.`;
  }
  return null;
}

/** The team's key rules and catalogue of application permissions, changed (team:manage). */
export function KeyRulesForm({ teamId, rules }: { teamId: string; rules: KeyRulesFragment }) {
  const client = useClient();
  const permissions = usePermissionCatalog().entries;
  const [values, setValues] = useState(() => valuesOf(rules));
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RulesValues>(field: K, value: RulesValues[K]) =>
    setValues((old) => ({ ...old, [field]: value }));
  const setRow = (id: number, change: Partial<CatalogueRow>) =>
    set(
      'catalogue',
      values.catalogue.map((entry) => (entry.id === id ? { ...entry, ...change } : entry)),
    );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus(null);
    const problem = rulesProblem(values, permissions);
    setFailure(problem);
    if (problem) return;
    const allowed = splitScopes(values.allowed);
    const days = values.maxLifetimeDays.trim();
    setBusy(true);
    const result = await client
      .mutation(
        SetApiKeyPolicyDocument,
        {
          teamId,
          input: {
            maxLifetimeDays: days ? Number(days) : null,
            requireExpiry: values.requireExpiry,
            requireAllowedIps: values.requireAllowedIps,
            allowedApplicationScopes: allowed.length > 0 ? allowed : null,
            applicationScopes: values.catalogue
              .filter((entry) => entry.name.trim() || entry.description.trim())
              .map((entry) => ({ name: entry.name.trim(), description: entry.description.trim() })),
            defaultRateLimit: rateLimitOf(values.defaultRateLimit),
          },
        },
        // which keys break the rules changes with them: the lists of keys are fetched again
        { additionalTypenames: ['ApiKey'] },
      )
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(result.error ? describeError(result.error) : null);
      return;
    }
    setValues(valuesOf(result.data.setApiKeyPolicy));
    setStatus('The key rules were saved.');
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Stack gap="md" maw={640}>
        <ErrorAlert message={failure} />
        <StatusMessage message={status} />
        <TextInput
          label="Maximum lifetime in days"
          description={`1 to ${MAX_DAYS}. Keys must expire at most this many days after they are made. Leave it empty for no limit.`}
          inputMode="numeric"
          maw={420}
          value={values.maxLifetimeDays}
          onChange={(event) => set('maxLifetimeDays', event.currentTarget.value)}
        />
        <Checkbox
          label="Every key must expire"
          description="A key without an expiry is refused."
          checked={values.requireExpiry}
          onChange={(event) => set('requireExpiry', event.currentTarget.checked)}
        />
        <Checkbox
          label="Every key must list its allowed addresses"
          description="A key that may be used from any address is refused."
          checked={values.requireAllowedIps}
          onChange={(event) => set('requireAllowedIps', event.currentTarget.checked)}
        />
        <RateLimitFields
          legend="Default rate limit for new keys"
          value={values.defaultRateLimit}
          onChange={(value) => set('defaultRateLimit', value)}
          description="Optional. Keys created without a rate limit of their own get this one; keys that exist keep theirs. Leave it empty for no default."
        />
        <Textarea
          label="Application permissions keys may hold"
          description="Separated by commas or lines, such as orders:read. Leave it empty to allow any."
          autosize
          minRows={2}
          value={values.allowed}
          onChange={(event) => set('allowed', event.currentTarget.value)}
        />
        <Fieldset legend="Catalogue of application permissions">
          <Stack gap="sm">
            <Text size="sm">
              What your applications&apos; permissions mean, in plain words. The key dialogs offer
              these with their descriptions.
            </Text>
            {values.catalogue.map((entry, index) => (
              <Group key={entry.id} align="flex-end" gap="sm" wrap="wrap">
                <TextInput
                  label={`Name of entry ${index + 1}`}
                  placeholder="orders:read"
                  maxLength={129}
                  value={entry.name}
                  onChange={(event) => setRow(entry.id, { name: event.currentTarget.value })}
                />
                <TextInput
                  label={`What entry ${index + 1} allows`}
                  maxLength={200}
                  style={{ flex: 1, minWidth: 200 }}
                  value={entry.description}
                  onChange={(event) => setRow(entry.id, { description: event.currentTarget.value })}
                />
                <Button
                  variant="default"
                  aria-label={`Remove entry ${index + 1}`}
                  onClick={() =>
                    set(
                      'catalogue',
                      values.catalogue.filter((other) => other.id !== entry.id),
                    )
                  }
                >
                  Remove
                </Button>
              </Group>
            ))}
            <Group>
              <Button
                variant="default"
                onClick={() => set('catalogue', [...values.catalogue, row()])}
              >
                Add an application permission
              </Button>
            </Group>
          </Stack>
        </Fieldset>
        <Group>
          <Button type="submit" loading={busy}>
            Save key rules
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

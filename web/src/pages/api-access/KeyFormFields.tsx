import { Checkbox, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { Loading } from '../../components/Loading';
import type { CatalogEntry } from '../../format/permissions';
import { todayInputValue } from '../../format/dates';
import { addressesRuleHint, expiryRuleHint } from '../../format/key-rules';
import { rateLimitText } from '../../format/limits';
import type { KeyRulesFragment } from '../../graphql/generated';
import {
  addressesProblem,
  appPermissionOffer,
  appScopesProblem,
  EXPIRY_CHOICES,
  type AppPermissionChoice,
  KEEP_EXPIRY,
  type ExpiryChoice,
  type KeyFormValues,
} from './key-form';
import { CreditFields, RateLimitFields } from './LimitFields';

interface Props {
  values: KeyFormValues;
  onChange: (values: KeyFormValues) => void;
  catalog: readonly CatalogEntry[];
  /** the permissions the person holds in the team: only those can be given to a key */
  held: readonly string[];
  /** the edit dialog offers "Keep as it is" for the expiry */
  editing?: boolean;
  /** the team's key rules: what application permissions to offer, what to say of the rules */
  rules: KeyRulesFragment | undefined;
  rulesLoading: boolean;
  /** the key being edited has credits: a new number replaces what it has left */
  hasCredits?: boolean;
}

function isExpiryChoice(value: string | null): value is ExpiryChoice {
  return value === KEEP_EXPIRY.value || EXPIRY_CHOICES.some((c) => c.value === value);
}

/**
 * Name, description, what the key can do, expiry, allowed addresses, rate limit and credits of a
 * key.
 */
export function KeyFormFields(props: Props) {
  const { values, onChange, catalog, held, editing = false, rules, rulesLoading } = props;
  const set = <K extends keyof KeyFormValues>(field: K, value: KeyFormValues[K]) =>
    onChange({ ...values, [field]: value });
  const grantable = catalog.filter((entry) => entry.grantableToApiKeys);

  return (
    <Stack gap="md">
      <TextInput
        label="Name"
        description="For example the application that will use the key."
        data-autofocus
        required
        maxLength={100}
        value={values.name}
        onChange={(event) => set('name', event.currentTarget.value)}
      />
      <Textarea
        label="Description"
        description="Optional. What the key is for, for whoever looks at it later."
        autosize
        minRows={2}
        maxLength={1000}
        value={values.description}
        onChange={(event) => set('description', event.currentTarget.value)}
      />
      <Checkbox.Group
        label="What this key can do"
        description="What an application using this key may see in this service. It can never change anything here."
        value={values.permissions}
        onChange={(permissions) => set('permissions', permissions)}
      >
        <Stack gap="sm" mt="xs">
          {grantable.map((entry) => (
            <PermissionCheckbox key={entry.name} entry={entry} holds={held.includes(entry.name)} />
          ))}
        </Stack>
      </Checkbox.Group>
      {rulesLoading ? (
        <Loading label="Loading the team's key rules…" />
      ) : (
        <AppPermissionFields values={values} set={set} catalog={catalog} rules={rules} />
      )}
      <ExpiryFields values={values} set={set} editing={editing} hint={expiryRuleHint(rules)} />
      <Textarea
        label="Allowed addresses"
        description={addressesHelp(rules)}
        autosize
        minRows={2}
        value={values.addresses}
        error={addressesProblem(values.addresses)}
        onChange={(event) => set('addresses', event.currentTarget.value)}
      />
      <RateLimitFields
        legend="Rate limit"
        value={values.rateLimit}
        onChange={(rateLimit) => set('rateLimit', rateLimit)}
        description={rateLimitHelp(editing, rules)}
      />
      <CreditFields
        value={values.credits}
        onChange={(credits) => set('credits', credits)}
        replacing={props.hasCredits ?? false}
      />
    </Stack>
  );
}

/** Under "Requests allowed": what leaving it empty does (on create: the team's default, if any). */
function rateLimitHelp(editing: boolean, rules: KeyRulesFragment | undefined): string {
  const counted = 'How many requests the key may make, on all servers together.';
  const fallback = rules?.defaultRateLimit;
  if (!editing && fallback) {
    return `${counted} Leave it empty and the team's default applies: ${rateLimitText(fallback)}.`;
  }
  return `Optional. ${counted} Leave it empty for no limit.`;
}

function PermissionCheckbox({ entry, holds }: { entry: CatalogEntry; holds: boolean }) {
  const why = "You don't hold this permission, so you can't give it to a key.";
  return (
    <Checkbox
      value={entry.name}
      label={entry.label}
      disabled={!holds}
      description={holds ? entry.description : `${entry.description} ${why}`}
    />
  );
}

function addressesHelp(rules: KeyRulesFragment | undefined): string {
  const help =
    'One per line or separated by commas: addresses such as 203.0.113.7 or 2001:db8::1, or ranges such as 10.0.0.0/24.';
  const rule = addressesRuleHint(rules);
  return rule ? `${help} ${rule}` : `Optional. ${help} Leave it empty to allow any address.`;
}

type Setter = <K extends keyof KeyFormValues>(field: K, value: KeyFormValues[K]) => void;

const FREE_TYPING_HELP =
  "Permissions your own applications check, such as orders:read or invoices:write, separated by commas. This service stores them with the key and doesn't use them itself.";

interface AppPermissionProps {
  values: KeyFormValues;
  set: Setter;
  catalog: readonly CatalogEntry[];
  rules: KeyRulesFragment | undefined;
}

/**
 * The application permissions of a key: the team's catalogue (or, where the team limits them, the
 * allowed ones) to tick, each with what it allows; free typing only where the team allows any.
 */
function AppPermissionFields({ values, set, catalog, rules }: AppPermissionProps) {
  const { choices, freeTyping } = appPermissionOffer(rules, values.appPicked);
  const typed = freeTyping ? (
    <TextInput
      label={choices.length > 0 ? 'Other application permissions' : 'Application permissions'}
      description={`Optional. ${FREE_TYPING_HELP}`}
      value={values.appScopes}
      error={appScopesProblem(values.appScopes, catalog)}
      onChange={(event) => set('appScopes', event.currentTarget.value)}
    />
  ) : null;
  if (choices.length === 0 && freeTyping) return typed;
  return (
    <>
      <Checkbox.Group
        label="Application permissions"
        description={
          freeTyping
            ? "Optional. What your own applications let a key do, as your team describes it. This service stores them with the key and doesn't use them itself."
            : "Optional. Your team's key rules allow only these. This service stores them with the key and doesn't use them itself."
        }
        value={values.appPicked}
        onChange={(picked) => set('appPicked', picked)}
      >
        <Stack gap="sm" mt="xs">
          {choices.length === 0 ? (
            <Text size="sm">Your team&apos;s key rules allow none.</Text>
          ) : null}
          {choices.map((choice) => (
            <Checkbox
              key={choice.name}
              value={choice.name}
              label={choice.description ?? choice.name}
              description={choiceDetail(choice)}
            />
          ))}
        </Stack>
      </Checkbox.Group>
      {typed}
    </>
  );
}

/** Under a choice's description: its name as applications check it, and why to untick it. */
function choiceDetail(choice: AppPermissionChoice): string | undefined {
  const name = choice.description ? choice.name : undefined;
  if (choice.allowed) return name;
  const why = "Your team's key rules no longer allow it: untick it.";
  return name ? `${name}. ${why}` : why;
}

interface ExpiryProps {
  values: KeyFormValues;
  set: Setter;
  editing: boolean;
  /** what the team's rules say of the expiry */
  hint: string | null;
}

function ExpiryFields({ values, set, editing, hint }: ExpiryProps) {
  const choices = editing ? [KEEP_EXPIRY, ...EXPIRY_CHOICES] : EXPIRY_CHOICES;
  return (
    <>
      <Select
        label="Expiry"
        description={
          hint ? `After this, the key stops working. ${hint}` : 'After this, the key stops working.'
        }
        data={choices}
        value={values.expiry}
        allowDeselect={false}
        comboboxProps={{ withinPortal: false }}
        onChange={(value) => isExpiryChoice(value) && set('expiry', value)}
      />
      {values.expiry === 'date' ? (
        <TextInput
          type="date"
          label="Expiry date"
          description="The key stops working at the end of this day (your time)."
          required
          min={todayInputValue()}
          value={values.expiryDate}
          onChange={(event) => set('expiryDate', event.currentTarget.value)}
        />
      ) : null}
    </>
  );
}

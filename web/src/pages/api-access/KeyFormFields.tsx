import { Checkbox, Select, Stack, TextInput, Textarea } from '@mantine/core';
import type { CatalogEntry } from '../../format/permissions';
import { todayInputValue } from '../../format/dates';
import {
  addressesProblem,
  appScopesProblem,
  EXPIRY_CHOICES,
  KEEP_EXPIRY,
  type ExpiryChoice,
  type KeyFormValues,
} from './key-form';

interface Props {
  values: KeyFormValues;
  onChange: (values: KeyFormValues) => void;
  catalog: readonly CatalogEntry[];
  /** the permissions the person holds in the team: only those can be given to a key */
  held: readonly string[];
  /** the edit dialog offers "Keep as it is" for the expiry */
  editing?: boolean;
}

function isExpiryChoice(value: string | null): value is ExpiryChoice {
  return value === KEEP_EXPIRY.value || EXPIRY_CHOICES.some((c) => c.value === value);
}

/** Name, description, what the key can do, expiry and allowed addresses of a key. */
export function KeyFormFields({ values, onChange, catalog, held, editing = false }: Props) {
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
      <TextInput
        label="Application permissions"
        description="Optional. Permissions your own applications check, such as orders:read or invoices:write, separated by commas. This service stores them with the key and doesn't use them itself."
        value={values.appScopes}
        error={appScopesProblem(values.appScopes, catalog)}
        onChange={(event) => set('appScopes', event.currentTarget.value)}
      />
      <ExpiryFields values={values} set={set} editing={editing} />
      <Textarea
        label="Allowed addresses"
        description="Optional. One per line or separated by commas: addresses such as 203.0.113.7 or 2001:db8::1, or ranges such as 10.0.0.0/24. Leave it empty to allow any address."
        autosize
        minRows={2}
        value={values.addresses}
        error={addressesProblem(values.addresses)}
        onChange={(event) => set('addresses', event.currentTarget.value)}
      />
    </Stack>
  );
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

interface ExpiryProps {
  values: KeyFormValues;
  set: <K extends keyof KeyFormValues>(field: K, value: KeyFormValues[K]) => void;
  editing: boolean;
}

function ExpiryFields({ values, set, editing }: ExpiryProps) {
  const choices = editing ? [KEEP_EXPIRY, ...EXPIRY_CHOICES] : EXPIRY_CHOICES;
  return (
    <>
      <Select
        label="Expiry"
        description="After this, the key stops working."
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

import { Button, Group, Stack } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import type { ShellTeam } from '../../app/shell-context';
import type { PermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { ruleRefusal } from '../../format/key-rules';
import { CreateApiKeyDocument } from '../../graphql/generated';
import {
  addressesOf,
  emptyKeyForm,
  expiryOf,
  formProblem,
  scopesOf,
  withAppPermissionOffer,
  type KeyFormValues,
} from './key-form';
import { creditsOf, rateLimitOf } from './limit-form';
import { KeyFormFields } from './KeyFormFields';
import { OneTimeDialog } from './OneTimeDialog';
import type { OneTimeSecret } from './OneTimeDialog';
import { useKeyRules } from './use-key-rules';

interface Props {
  team: ShellTeam;
  opened: boolean;
  catalog: PermissionCatalog;
  onClose: () => void;
  /** a key was created: the list shows it */
  onCreated: () => void;
}

export const KEY_ERRORS = {
  FORBIDDEN:
    "You can only give a key permissions that you hold yourself. Untick the others, or ask your team's administrator.",
};

/**
 * "Create New API Key": the form, then, in the same dialog, the key and its secret shown once.
 * The secret lives only in this component's state and is dropped when the dialog closes.
 */
export function CreateKeyDialog({ team, opened, catalog, onClose, onCreated }: Props) {
  const client = useClient();
  const [values, setValues] = useState<KeyFormValues>(emptyKeyForm);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<OneTimeSecret | null>(null);
  const { rules, loading: rulesLoading } = useKeyRules(team.id, opened);
  useEffect(() => setValues((old) => withAppPermissionOffer(old, rules)), [rules]);

  const close = () => {
    setShown(null);
    setValues(emptyKeyForm());
    setFailure(null);
    onClose();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = formProblem(values, catalog.entries);
    setFailure(problem);
    if (problem) return;
    const expiry = expiryOf(values);
    setBusy(true);
    const result = await client
      .mutation(CreateApiKeyDocument, {
        input: {
          teamId: team.id,
          name: values.name.trim(),
          description: values.description.trim() || undefined,
          scopes: scopesOf(values),
          allowedIps: addressesOf(values),
          expiresAt: expiry.ok && expiry.expiresAt ? expiry.expiresAt : undefined,
          // none given: the server applies the team's default rate limit, if it has one
          rateLimit: rateLimitOf(values.rateLimit) ?? undefined,
          credits: creditsOf(values.credits) ?? undefined,
        },
      })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(
        result.error
          ? (ruleRefusal(result.error, rules, expiry.ok && expiry.expiresAt === null) ??
              describeError(result.error, KEY_ERRORS))
          : null,
      );
      return;
    }
    const created = result.data.createApiKey;
    setShown({ key: created.apiKey.key, secret: created.secret });
    onCreated();
  };

  return (
    <OneTimeDialog opened={opened} title="Create New API Key" shown={shown} onClose={close}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack>
          <ErrorAlert message={failure} />
          <KeyFormFields
            values={values}
            onChange={setValues}
            catalog={catalog.entries}
            held={team.viewerPermissions}
            rules={rules}
            rulesLoading={rulesLoading}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Create API key
            </Button>
          </Group>
        </Stack>
      </form>
    </OneTimeDialog>
  );
}

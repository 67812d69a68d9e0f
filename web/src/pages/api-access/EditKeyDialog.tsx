import { Button, Group, Modal, Stack } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import type { PermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { ruleRefusal } from '../../format/key-rules';
import {
  UpdateApiKeyDocument,
  type KeyDetailsFragment,
  type UpdateApiKeyInput,
} from '../../graphql/generated';
import { KEY_ERRORS } from './CreateKeyDialog';
import {
  addressesOf,
  expiryOf,
  formProblem,
  keyFormOf,
  scopesOf,
  withAppPermissionOffer,
  type KeyFormValues,
} from './key-form';
import { creditsOf, rateLimitOf, sameCredits, sameRateLimit } from './limit-form';
import { KeyFormFields } from './KeyFormFields';
import { useKeyRules } from './use-key-rules';

interface Props {
  teamId: string;
  apiKey: KeyDetailsFragment;
  opened: boolean;
  catalog: PermissionCatalog;
  held: readonly string[];
  onClose: () => void;
  onSaved: () => void;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Only what changed goes to the server: an unchanged list is never re-checked there. */
function changesOf(values: KeyFormValues, key: KeyDetailsFragment): UpdateApiKeyInput {
  const input: UpdateApiKeyInput = {};
  if (values.name.trim() !== key.name) input.name = values.name.trim();
  if (values.description.trim() !== (key.description ?? '')) {
    input.description = values.description.trim();
  }
  const scopes = scopesOf(values);
  if (!sameList(scopes, key.scopes)) input.scopes = scopes;
  const addresses = addressesOf(values);
  if (!sameList(addresses, key.allowedIps)) input.allowedIps = addresses;
  const expiry = expiryOf(values);
  if (expiry.ok && expiry.expiresAt !== undefined) input.expiresAt = expiry.expiresAt;
  const rateLimit = rateLimitOf(values.rateLimit);
  if (!sameRateLimit(rateLimit, key.rateLimit)) {
    if (rateLimit) input.rateLimit = rateLimit;
    else input.clearRateLimit = true;
  }
  // compared with the credits the form was filled with: an untouched count is never sent back
  const credits = creditsOf(values.credits);
  if (!sameCredits(credits, key.credits)) {
    if (credits) input.credits = credits;
    else input.clearCredits = true;
  }
  return input;
}

/**
 * "Edit API key": name, description, what it can do, expiry, allowed addresses, rate limit and
 * credits.
 */
export function EditKeyDialog(props: Props) {
  const { teamId, apiKey, opened, catalog, held, onClose, onSaved } = props;
  const client = useClient();
  const [values, setValues] = useState<KeyFormValues>(() => keyFormOf(apiKey, catalog.entries));
  const { rules, loading: rulesLoading } = useKeyRules(teamId, opened);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // each opening starts from the key as it is now
  useEffect(() => {
    if (opened) {
      setValues(keyFormOf(apiKey, catalog.entries));
      setFailure(null);
    }
  }, [opened, apiKey, catalog.entries]);
  // after the one above when both run; the rules often arrive after the dialog opens, and what
  // was typed meanwhile stays
  useEffect(
    () => setValues((old) => withAppPermissionOffer(old, rules)),
    [opened, apiKey, catalog.entries, rules],
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = formProblem(values, catalog.entries);
    setFailure(problem);
    if (problem) return;
    const input = changesOf(values, apiKey);
    if (Object.keys(input).length === 0) return onClose();
    setBusy(true);
    const result = await client
      .mutation(UpdateApiKeyDocument, { id: apiKey.id, input })
      .toPromise();
    setBusy(false);
    if (result.error) {
      const neverExpires = input.expiresAt === null || (!input.expiresAt && !apiKey.expiresAt);
      setFailure(
        ruleRefusal(result.error, rules, neverExpires) ?? describeError(result.error, KEY_ERRORS),
      );
      return;
    }
    onSaved();
  };

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Edit API key"
      size="lg"
      returnFocus
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack>
          <ErrorAlert message={failure} />
          <KeyFormFields
            values={values}
            onChange={setValues}
            catalog={catalog.entries}
            held={held}
            editing
            hasCredits={Boolean(apiKey.credits)}
            rules={rules}
            rulesLoading={rulesLoading}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

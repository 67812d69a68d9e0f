import { Button, Group, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../format/error-messages';
import { ErrorAlert } from './ErrorAlert';
import { StatusMessage } from './StatusMessage';

interface Props {
  label: string;
  description?: string;
  autoComplete?: string;
  initial?: string;
  /** the button's words, e.g. "Save name" */
  submitLabel: string;
  /** what the name is of, for the messages: "your name", "a name for the team" */
  what: string;
  /** sends the trimmed name; the error to say, or a sentence for the status line when it worked */
  onSubmit: (name: string) => Promise<{ error?: CombinedError } | { done: string | null }>;
}

/**
 * One name (a person's, a team's) and its button: empty names are refused here, the server's
 * refusals are said in words, and what happened is announced in a live region.
 */
export function NameForm({ label, description, autoComplete, initial = '', ...rest }: Props) {
  const { submitLabel, what, onSubmit } = rest;
  const [name, setName] = useState(initial);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    setStatus(null);
    if (!name.trim()) return setFailure(`Enter ${what}, then press “${submitLabel}”.`);
    setBusy(true);
    const result = await onSubmit(name.trim()).finally(() => setBusy(false));
    if ('error' in result && result.error) {
      const rule = `The ${label.toLowerCase()} must be 1 to 100 characters long.`;
      setFailure(describeError(result.error, { BAD_USER_INPUT: rule }));
    } else if ('done' in result) setStatus(result.done);
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Stack gap="sm" maw={420}>
        <ErrorAlert message={failure} />
        <StatusMessage message={status} />
        <TextInput
          label={label}
          description={description}
          autoComplete={autoComplete}
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
        />
        <Group>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

import { Button, Group, PasswordInput, Stack, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { ChangePasswordDocument } from '../../graphql/generated';

const MIN = 12;
const MAX = 256;

const PASSWORD_ERRORS = {
  FORBIDDEN: 'Your current password is wrong. Type it again.',
  BAD_USER_INPUT: `Choose a new password of ${MIN} to ${MAX} characters.`,
};

/** A new password; the server ends every other session of the person. */
export function ChangePasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [{ fetching }, changePassword] = useMutation(ChangePasswordDocument);

  const problem = (): string | null => {
    if (!current) return 'Enter your current password.';
    if (next.length < MIN || next.length > MAX) return PASSWORD_ERRORS.BAD_USER_INPUT;
    if (next !== repeat) return 'The two new passwords differ. Type the same one twice.';
    return null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus(null);
    const invalid = problem();
    setFailure(invalid);
    if (invalid) return;
    const result = await changePassword({ currentPassword: current, newPassword: next });
    if (result.error) {
      setFailure(describeError(result.error, PASSWORD_ERRORS));
      return;
    }
    setCurrent('');
    setNext('');
    setRepeat('');
    setStatus(
      'Your password was changed. You are still signed in here; your other sessions ended.',
    );
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="password-heading">
      <Title order={3} id="password-heading">
        Change password
      </Title>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="sm" maw={420}>
          <ErrorAlert message={failure} />
          <StatusMessage message={status} />
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(event) => setCurrent(event.currentTarget.value)}
          />
          <PasswordInput
            label="New password"
            description={`${MIN} to ${MAX} characters. Your other sessions end when you change it.`}
            autoComplete="new-password"
            required
            value={next}
            onChange={(event) => setNext(event.currentTarget.value)}
          />
          <PasswordInput
            label="Repeat new password"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(event) => setRepeat(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={fetching}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

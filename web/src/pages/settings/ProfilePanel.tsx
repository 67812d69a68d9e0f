import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useShell } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { UpdateProfileDocument } from '../../graphql/generated';
import { ChangePasswordForm } from './ChangePasswordForm';
import { SignOutEverywhere } from './SignOutEverywhere';

/** Profile tab: the person's name, email, password and sessions. */
export function ProfilePanel() {
  return (
    <Stack gap="xl">
      <NameForm />
      <ChangePasswordForm />
      <SignOutEverywhere />
    </Stack>
  );
}

function NameForm() {
  const { me } = useShell();
  const [name, setName] = useState(me.name);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [{ fetching }, updateProfile] = useMutation(UpdateProfileDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    setStatus(null);
    if (!name.trim()) {
      setFailure('Enter your name, then press “Save name”.');
      return;
    }
    const result = await updateProfile({ name: name.trim() });
    if (result.error) {
      setFailure(
        describeError(result.error, { BAD_USER_INPUT: 'Use a name of 1 to 100 characters.' }),
      );
    } else setStatus('Your name was saved.');
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="profile-heading">
      <Title order={2} id="profile-heading">
        Profile
      </Title>
      <Text>
        You sign in as <strong>{me.email}</strong>.
      </Text>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="sm" maw={420}>
          <ErrorAlert message={failure} />
          <StatusMessage message={status} />
          <TextInput
            label="Name"
            description="Shown to your teammates and in the activity log."
            autoComplete="name"
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={fetching}>
              Save name
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

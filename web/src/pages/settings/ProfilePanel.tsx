import { Stack, Text, Title } from '@mantine/core';
import { useMutation } from 'urql';
import { useShell } from '../../app/shell-context';
import { NameForm } from '../../components/NameForm';
import { UpdateProfileDocument } from '../../graphql/generated';
import { ChangePasswordForm } from './ChangePasswordForm';
import { SignOutEverywhere } from './SignOutEverywhere';

/** Profile tab: the person's name, email, password and sessions. */
export function ProfilePanel() {
  return (
    <Stack gap="xl">
      <ProfileName />
      <ChangePasswordForm />
      <SignOutEverywhere />
    </Stack>
  );
}

function ProfileName() {
  const { me } = useShell();
  const [, updateProfile] = useMutation(UpdateProfileDocument);
  return (
    <Stack gap="sm" component="section" aria-labelledby="profile-heading">
      <Title order={2} id="profile-heading">
        Profile
      </Title>
      <Text>
        You sign in as <strong>{me.email}</strong>.
      </Text>
      <NameForm
        label="Name"
        description="Shown to your teammates and in the activity log."
        autoComplete="name"
        initial={me.name}
        submitLabel="Save name"
        what="your name"
        onSubmit={async (name) => {
          const { error } = await updateProfile({ name });
          return error ? { error } : { done: 'Your name was saved.' };
        }}
      />
    </Stack>
  );
}

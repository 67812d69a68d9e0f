import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { useShell } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { CreateTeamDocument } from '../../graphql/generated';
import { rememberTeam } from '../../session/last-team';

/** A new team, with the person as its Owner; its dashboard opens once it exists. */
export function CreateTeamForm({ heading = 'Create a team' }: { heading?: string }) {
  const shell = useShell();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [{ fetching }, createTeam] = useMutation(CreateTeamDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    if (!name.trim()) {
      setFailure('Enter a name for the team, then press “Create team”.');
      return;
    }
    const result = await createTeam({ name: name.trim() });
    if (result.error || !result.data) {
      setFailure(
        result.error
          ? describeError(result.error, {
              BAD_USER_INPUT: 'Use a team name of 1 to 100 characters.',
            })
          : null,
      );
      return;
    }
    const team = result.data.createTeam;
    await shell.refresh();
    rememberTeam(team.id);
    await navigate(`/teams/${team.id}/dashboard`);
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="create-team-heading">
      <Title order={2} id="create-team-heading">
        {heading}
      </Title>
      <Text>You become its Owner and can invite others.</Text>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="sm" maw={420}>
          <ErrorAlert message={failure} />
          <TextInput
            label="Team name"
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={fetching}>
              Create team
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

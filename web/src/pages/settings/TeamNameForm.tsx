import { Button, Group, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useShell, type ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { UpdateTeamDocument } from '../../graphql/generated';

/** Renames the team (team:manage). */
export function TeamNameForm({ team }: { team: ShellTeam }) {
  const shell = useShell();
  const [name, setName] = useState(team.name);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [{ fetching }, updateTeam] = useMutation(UpdateTeamDocument);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus(null);
    setFailure(null);
    if (!name.trim()) {
      setFailure('Enter a name for the team, then press “Rename team”.');
      return;
    }
    const result = await updateTeam({ id: team.id, name: name.trim() });
    if (result.error) {
      setFailure(
        describeError(result.error, { BAD_USER_INPUT: 'Use a team name of 1 to 100 characters.' }),
      );
      return;
    }
    await shell.refresh();
    setStatus('The team was renamed.');
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <Stack gap="sm" maw={420}>
        <ErrorAlert message={failure} />
        <StatusMessage message={status} />
        <TextInput
          label="Team name"
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
        />
        <Group>
          <Button type="submit" loading={fetching}>
            Rename team
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

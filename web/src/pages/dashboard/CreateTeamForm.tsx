import { Stack, Text, Title } from '@mantine/core';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { useShell } from '../../app/shell-context';
import { NameForm } from '../../components/NameForm';
import { CreateTeamDocument } from '../../graphql/generated';
import { rememberTeam } from '../../session/last-team';

/** A new team, with the person as its Owner; its dashboard opens once it exists. */
export function CreateTeamForm({ heading = 'Create a team' }: { heading?: string }) {
  const shell = useShell();
  const navigate = useNavigate();
  const [, createTeam] = useMutation(CreateTeamDocument);
  return (
    <Stack gap="sm" component="section" aria-labelledby="create-team-heading">
      <Title order={2} id="create-team-heading">
        {heading}
      </Title>
      <Text>You become its Owner and can invite others.</Text>
      <NameForm
        label="Team name"
        submitLabel="Create team"
        what="a name for the team"
        onSubmit={async (name) => {
          const { data, error } = await createTeam({ name });
          if (error || !data) return { error };
          await shell.refresh();
          rememberTeam(data.createTeam.id);
          await navigate(`/teams/${data.createTeam.id}/dashboard`);
          return { done: null };
        }}
      />
    </Stack>
  );
}

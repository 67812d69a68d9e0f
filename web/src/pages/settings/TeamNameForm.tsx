import { useMutation } from 'urql';
import { useShell, type ShellTeam } from '../../app/shell-context';
import { NameForm } from '../../components/NameForm';
import { UpdateTeamDocument } from '../../graphql/generated';

/** Renames the team (team:manage). */
export function TeamNameForm({ team }: { team: ShellTeam }) {
  const shell = useShell();
  const [, updateTeam] = useMutation(UpdateTeamDocument);
  return (
    <NameForm
      label="Team name"
      initial={team.name}
      submitLabel="Rename team"
      what="a name for the team"
      onSubmit={async (name) => {
        const { error } = await updateTeam({ id: team.id, name });
        if (error) return { error };
        await shell.refresh();
        return { done: 'The team was renamed.' };
      }}
    />
  );
}

import { Stack, Text, Title } from '@mantine/core';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { InviteSection } from './InviteSection';
import { MembersSection } from './MembersSection';
import { TeamNameForm } from './TeamNameForm';

/** Team tab: the team's name, its members and their permissions, and invitations. */
export function TeamPanel({ team }: { team: ShellTeam }) {
  return (
    <Stack gap="xl">
      <Stack gap="sm" component="section" aria-labelledby="team-heading">
        <Title order={2} id="team-heading">
          Team
        </Title>
        {can(team, 'team:manage') ? (
          <TeamNameForm team={team} />
        ) : (
          <Text>
            The team is called <strong>{team.name}</strong>. {WHY_NOT['team:manage']}
          </Text>
        )}
      </Stack>
      {can(team, 'members:read') ? (
        <MembersSection team={team} />
      ) : (
        <Text>{WHY_NOT['members:read']}</Text>
      )}
      {can(team, 'members:manage') ? (
        <InviteSection team={team} />
      ) : (
        <Text>{WHY_NOT['members:manage']}</Text>
      )}
    </Stack>
  );
}

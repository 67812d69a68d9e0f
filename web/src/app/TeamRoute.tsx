import { Anchor, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Link, Outlet, useParams } from 'react-router';
import { rememberTeam } from '../session/last-team';
import { usePageTitle } from './page-title';
import { CurrentTeamContext, useShell } from './shell-context';

/**
 * /teams/:teamId/...: the team must be one of the person's teams. It becomes the team that
 * /dashboard opens next time.
 */
export function TeamRoute() {
  const { teamId } = useParams();
  const { teams } = useShell();
  const team = teams.find((t) => t.id === teamId);

  useEffect(() => {
    if (team) rememberTeam(team.id);
  }, [team]);

  if (!team) return <UnknownTeam />;
  return (
    <CurrentTeamContext.Provider value={team}>
      <Outlet />
    </CurrentTeamContext.Provider>
  );
}

function UnknownTeam() {
  usePageTitle('Team not found');
  return (
    <Stack>
      <Title order={1}>Team not found</Title>
      <Text>
        This team doesn&apos;t exist, or you aren&apos;t one of its members. Pick a team from your
        dashboard, or ask the team&apos;s administrator for an invitation.
      </Text>
      <Anchor component={Link} to="/dashboard">
        Go to your dashboard
      </Anchor>
    </Stack>
  );
}

import { Stack, Text, Title } from '@mantine/core';
import { Navigate } from 'react-router';
import { usePageTitle } from '../../app/page-title';
import { useShell } from '../../app/shell-context';
import { lastTeamId } from '../../session/last-team';
import { CreateTeamForm } from './CreateTeamForm';
import { Invitations } from './Invitations';

/** /dashboard: the team chosen last time (else the first team), or a start for someone with none. */
export function DashboardRedirect() {
  const { teams } = useShell();
  if (teams.length === 0) return <NoTeamDashboard />;
  const remembered = lastTeamId();
  const team = teams.find((t) => t.id === remembered) ?? teams[0];
  return <Navigate to={`/teams/${team.id}/dashboard`} replace />;
}

function NoTeamDashboard() {
  usePageTitle('Dashboard');
  return (
    <Stack gap="xl">
      <Title order={1}>Dashboard</Title>
      <Text>
        You aren&apos;t part of a team yet. Accept an invitation below, or create a team of your
        own.
      </Text>
      <Invitations />
      <CreateTeamForm />
    </Stack>
  );
}

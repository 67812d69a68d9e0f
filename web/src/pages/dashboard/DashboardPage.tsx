import { Anchor, List, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam, useShell } from '../../app/shell-context';
import { CreateTeamForm } from './CreateTeamForm';
import { ConfirmEmailNotice } from './ConfirmEmailNotice';
import { Invitations } from './Invitations';
import { LockoutNotice } from './LockoutNotice';
import { NeedsAttention } from './NeedsAttention';

/**
 * /teams/:teamId/dashboard: notices about the person's account, invitations, what needs attention
 * in the team, the person's teams.
 */
export function DashboardPage() {
  usePageTitle('Dashboard');
  const team = useCurrentTeam();
  const { teams } = useShell();
  return (
    <Stack gap="xl">
      <div>
        <Title order={1}>Dashboard</Title>
        <Text>{team.name}</Text>
      </div>
      <ConfirmEmailNotice />
      <LockoutNotice profilePath={`/teams/${team.id}/settings/profile-team`} />
      <Invitations hideWhenEmpty />
      <NeedsAttention team={team} />
      <Stack gap="sm" component="section" aria-labelledby="teams-heading">
        <Title order={2} id="teams-heading">
          Your teams
        </Title>
        <List spacing={4}>
          {teams.map((t) => (
            <List.Item key={t.id}>
              <Anchor
                component={Link}
                to={`/teams/${t.id}/dashboard`}
                aria-current={t.id === team.id ? 'page' : undefined}
              >
                {t.name}
              </Anchor>
            </List.Item>
          ))}
        </List>
      </Stack>
      <CreateTeamForm heading="Create another team" />
    </Stack>
  );
}

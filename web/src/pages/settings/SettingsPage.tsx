import { Anchor, Card, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { can } from '../../app/permissions';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam } from '../../app/shell-context';

/** /teams/:teamId/settings: where each group of settings lives. */
export function SettingsPage() {
  usePageTitle('Settings');
  const team = useCurrentTeam();
  const base = `/teams/${team.id}/settings/profile-team`;
  const admin = can(team, 'team:manage') || can(team, 'members:manage');
  return (
    <Stack gap="lg">
      <Title order={1}>Settings</Title>
      <Stack gap="sm" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        <Card withBorder component="li">
          <Anchor component={Link} to={base} fw={600}>
            Profile &amp; Team
          </Anchor>
          <Text size="sm">
            Your name and password, the team&apos;s members and invitations, and its roles.
          </Text>
        </Card>
        <Card withBorder component="li">
          <Anchor component={Link} to={`${base}/api-access`} fw={600}>
            API Access
          </Anchor>
          <Text size="sm">
            The team&apos;s API keys: create, review, regenerate and revoke them.
          </Text>
        </Card>
        {admin ? (
          <Card withBorder component="li">
            {/* a page of the server itself, outside this app: a plain link */}
            <Anchor href="/graphql" fw={600}>
              Open the API playground
            </Anchor>
            <Text size="sm">
              For administrators: try the service&apos;s API directly, signed in as you.
            </Text>
          </Card>
        ) : null}
      </Stack>
    </Stack>
  );
}

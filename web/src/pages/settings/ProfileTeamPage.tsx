import { Anchor, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Link, useSearchParams } from 'react-router';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam } from '../../app/shell-context';
import { Loading } from '../../components/Loading';
import { ProfilePanel } from './ProfilePanel';
import { SettingsBreadcrumbs } from './SettingsBreadcrumbs';
import { TeamPanel } from './TeamPanel';

const RolesPanel = lazy(() => import('./RolesPanel'));
const KeyRulesPanel = lazy(() => import('./KeyRulesPanel'));
const WebhooksPanel = lazy(() => import('./WebhooksPanel'));

const TABS = ['profile', 'team', 'roles', 'key-rules', 'webhooks'] as const;
type Tab = (typeof TABS)[number];

function isTab(value: string | null): value is Tab {
  return TABS.some((tab) => tab === value);
}

/**
 * Settings › Profile & Team: tabs Profile, Team, Roles, Key rules and Webhooks (the open tab is in
 * the address, ?tab=team, so it can be linked to), and the way to API Access.
 */
export function ProfileTeamPage() {
  usePageTitle('Profile & Team');
  const team = useCurrentTeam();
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: Tab = isTab(asked) ? asked : 'profile';

  return (
    <Stack gap="lg">
      <SettingsBreadcrumbs teamId={team.id} trail={[{ label: 'Profile & Team' }]} />
      <Group justify="space-between" align="flex-end">
        <Title order={1}>Profile &amp; Team</Title>
        <Text>
          The team&apos;s API keys are under{' '}
          <Anchor component={Link} to={`/teams/${team.id}/settings/profile-team/api-access`}>
            API Access
          </Anchor>
          .
        </Text>
      </Group>
      <Tabs
        value={tab}
        keepMounted={false}
        onChange={(value) => setParams(value && value !== 'profile' ? { tab: value } : {})}
      >
        <Tabs.List>
          <Tabs.Tab value="profile">Profile</Tabs.Tab>
          <Tabs.Tab value="team">Team</Tabs.Tab>
          <Tabs.Tab value="roles">Roles</Tabs.Tab>
          <Tabs.Tab value="key-rules">Key rules</Tabs.Tab>
          <Tabs.Tab value="webhooks">Webhooks</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="profile" pt="lg">
          <ProfilePanel />
        </Tabs.Panel>
        <Tabs.Panel value="team" pt="lg">
          <TeamPanel team={team} />
        </Tabs.Panel>
        <Tabs.Panel value="roles" pt="lg">
          <Suspense fallback={<Loading />}>
            <RolesPanel team={team} />
          </Suspense>
        </Tabs.Panel>
        <Tabs.Panel value="key-rules" pt="lg">
          <Suspense fallback={<Loading />}>
            <KeyRulesPanel team={team} />
          </Suspense>
        </Tabs.Panel>
        <Tabs.Panel value="webhooks" pt="lg">
          <Suspense fallback={<Loading />}>
            <WebhooksPanel team={team} />
          </Suspense>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

import { AppShell, Burger, Button, Group, Stack } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense, useEffect, useMemo } from 'react';
import { Link, Outlet, useLocation, useParams } from 'react-router';
import { useClient, useQuery } from 'urql';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { isUnauthenticated } from '../format/error-messages';
import { ShellDocument } from '../graphql/generated';
import { AccountMenu } from './AccountMenu';
import { MainNav } from './MainNav';
import { ShellContext, type Shell } from './shell-context';
import { TeamSwitcher } from './TeamSwitcher';
import classes from './app.module.css';

/**
 * The frame of every signed-in page: header (product name, team switcher, the person's name,
 * Sign out), the navigation (a burger menu on narrow screens) and the page. It loads the person
 * and their teams once; without a session the API client sends the person to sign in.
 */
export function AppLayout() {
  const [navOpened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const { teamId } = useParams();
  const client = useClient();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: ShellDocument });

  // a page chosen in the menu closes it on narrow screens
  useEffect(close, [location.pathname, close]);

  const shell = useMemo<Shell | null>(
    () =>
      data
        ? {
            me: data.me,
            teams: data.teams,
            // resolves once every page showing the teams has the new answer
            refresh: async () => {
              await client.query(ShellDocument, {}, { requestPolicy: 'network-only' }).toPromise();
            },
          }
        : null,
    [data, client],
  );

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="md"
    >
      <a href="#main" className={classes.skipLink}>
        Skip to main content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navOpened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navOpened ? 'Close navigation' : 'Open navigation'}
              aria-expanded={navOpened}
              aria-controls="main-navigation"
            />
            <Link to="/dashboard" className={classes.productName}>
              Empress API Access
            </Link>
          </Group>
          {shell ? (
            <Group gap="md" wrap="nowrap" visibleFrom="sm">
              <TeamSwitcher teams={shell.teams} teamId={teamId} />
              <AccountMenu name={shell.me.name} />
            </Group>
          ) : null}
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" id="main-navigation" aria-label="Main">
        {shell ? (
          <Stack gap="md">
            <Stack gap="sm" hiddenFrom="sm">
              <TeamSwitcher teams={shell.teams} teamId={teamId} />
              <AccountMenu name={shell.me.name} />
            </Stack>
            <MainNav teamId={teamId} />
          </Stack>
        ) : null}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        {shell ? (
          <ShellContext.Provider value={shell}>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </ShellContext.Provider>
        ) : error && !isUnauthenticated(error) ? (
          <Stack align="flex-start">
            <ErrorAlert error={error} title="The page couldn't be loaded" />
            <Button onClick={() => reexecute({ requestPolicy: 'network-only' })}>Try again</Button>
          </Stack>
        ) : fetching || isUnauthenticated(error) ? (
          <Loading />
        ) : null}
      </AppShell.Main>
    </AppShell>
  );
}

import { NavLink, Stack } from '@mantine/core';
import { Link, useLocation } from 'react-router';

interface Item {
  label: string;
  to: string;
}

/** Dashboard, Settings, Activity of the current team; the page shown is marked aria-current. */
export function MainNav({ teamId }: { teamId?: string }) {
  const { pathname } = useLocation();
  const items: Item[] = teamId
    ? [
        { label: 'Dashboard', to: `/teams/${teamId}/dashboard` },
        { label: 'Settings', to: `/teams/${teamId}/settings` },
        { label: 'Activity', to: `/teams/${teamId}/activity` },
      ]
    : [{ label: 'Dashboard', to: '/dashboard' }];

  return (
    <Stack gap={4}>
      {items.map((item) => {
        const active = pathname === item.to || pathname.startsWith(`${item.to}/`);
        return (
          <NavLink
            key={item.label}
            component={Link}
            to={item.to}
            label={item.label}
            active={active}
            aria-current={active ? 'page' : undefined}
          />
        );
      })}
    </Stack>
  );
}

import { Select } from '@mantine/core';
import { useLocation, useNavigate } from 'react-router';
import { rememberTeam } from '../session/last-team';
import type { ShellTeam } from './shell-context';
import classes from './app.module.css';

// The section of the page, kept when switching teams (a key page belongs to one team: not kept).
function sectionOf(pathname: string): string {
  if (pathname.includes('/settings/profile-team/api-access')) {
    return 'settings/profile-team/api-access';
  }
  if (pathname.includes('/settings/profile-team')) return 'settings/profile-team';
  if (pathname.includes('/settings')) return 'settings';
  if (pathname.includes('/activity')) return 'activity';
  return 'dashboard';
}

/** The "Team" choice in the header: picks the team every page is about. */
export function TeamSwitcher({ teams, teamId }: { teams: ShellTeam[]; teamId?: string }) {
  const navigate = useNavigate();
  const { pathname } = useLocation();
  if (teams.length === 0) return null;
  return (
    <Select
      label="Team"
      classNames={{ root: classes.inlineField }}
      data={teams.map((team) => ({ value: team.id, label: team.name }))}
      value={teamId ?? null}
      placeholder="Choose a team"
      allowDeselect={false}
      checkIconPosition="right"
      w={{ base: '100%', sm: 240 }}
      onChange={(value) => {
        if (!value || value === teamId) return;
        rememberTeam(value);
        void navigate(`/teams/${value}/${sectionOf(pathname)}`);
      }}
    />
  );
}

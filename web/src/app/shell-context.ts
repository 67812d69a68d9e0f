import { createContext, useContext } from 'react';
import type { ShellQuery } from '../graphql/generated';

/**
 * The signed-in person and their teams, loaded once by the app layout for every page inside it;
 * the current team (of /teams/:teamId/...) with the permissions the person holds in it.
 */
export type Me = ShellQuery['me'];
export type ShellTeam = ShellQuery['teams'][number];

export interface Shell {
  me: Me;
  teams: ShellTeam[];
  /** load the person and their teams again, e.g. after joining or creating a team */
  refresh: () => Promise<void>;
}

export const ShellContext = createContext<Shell | null>(null);
export const CurrentTeamContext = createContext<ShellTeam | null>(null);

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error('useShell() outside the app layout');
  return shell;
}

export function useCurrentTeam(): ShellTeam {
  const team = useContext(CurrentTeamContext);
  if (!team) throw new Error('useCurrentTeam() outside /teams/:teamId');
  return team;
}

/**
 * The team last chosen, so /dashboard opens it again. Only a team id is kept: it is not a secret,
 * and the server still checks membership on every request. Storage may be unavailable (private
 * modes, blocked storage): then there is simply no remembered team.
 */
const KEY = 'empress.lastTeamId';

export function lastTeamId(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function rememberTeam(teamId: string): void {
  try {
    window.localStorage.setItem(KEY, teamId);
  } catch {
    // nothing to do: the first team is chosen instead next time
  }
}

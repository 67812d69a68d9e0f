import { useMemo } from 'react';
import { useQuery } from 'urql';
import { can } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { KeyNamesDocument, TeamMembersDocument } from '../../graphql/generated';
import type { AuditNames } from './audit-names';

export interface AuditDirectory extends AuditNames {
  members: { id: string; name: string; email: string }[];
  keyList: { id: string; name: string }[];
}

/**
 * Names of the team's members and keys, for the audit log's "who" and "which key" and for the
 * Activity filters; each list only when the person may see it.
 */
export function useAuditNames(team: ShellTeam): AuditDirectory {
  const [{ data: members }] = useQuery({
    query: TeamMembersDocument,
    variables: { teamId: team.id },
    pause: !can(team, 'members:read'),
  });
  const [{ data: keys }] = useQuery({
    query: KeyNamesDocument,
    variables: { teamId: team.id },
    pause: !can(team, 'apiKeys:read'),
  });
  return useMemo(() => {
    const memberList = (members?.team.members ?? []).map((m) => m.user);
    const keyList = (keys?.apiKeys.edges ?? []).map((e) => e.node);
    return {
      members: memberList,
      keyList,
      people: new Map(memberList.map((u) => [u.id, u.name])),
      keys: new Map(keyList.map((k) => [k.id, k.name])),
    };
  }, [members, keys]);
}

import { useMemo } from 'react';
import { useQuery } from 'urql';
import { teamActionChoices } from '../format/audit-actions';
import { AuditActionsDocument } from '../graphql/generated';

// the catalogue changes only with a new server version: one request per visit is plenty
const ONCE = { requestPolicy: 'cache-first' } as const;

/** The audit log's actions in plain words, from the server's catalogue. */
export function useAuditActions() {
  const [{ data }] = useQuery({ query: AuditActionsDocument, ...ONCE });
  return useMemo(() => {
    const actions = data?.auditActions ?? [];
    return {
      labels: new Map(actions.map((a) => [a.name, a.label])),
      choices: teamActionChoices(actions),
    };
  }, [data]);
}

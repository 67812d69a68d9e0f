import { useQuery } from 'urql';
import { KeyRulesDocument, type KeyRulesFragment } from '../../graphql/generated';

export interface KeyRulesState {
  rules: KeyRulesFragment | undefined;
  /** still asking; the dialogs wait before offering application permissions */
  loading: boolean;
}

/**
 * The team's key rules for a key dialog, asked for only once it opens: most visits of API Access
 * never open one, and the page's first load stays one request.
 */
export function useKeyRules(teamId: string, opened: boolean): KeyRulesState {
  const [{ data, error }] = useQuery({
    query: KeyRulesDocument,
    variables: { teamId },
    pause: !opened,
  });
  // without the rules (they failed to load) the dialog offers free typing; the server still checks
  return { rules: data?.team.apiKeyPolicy, loading: opened && !data && !error };
}

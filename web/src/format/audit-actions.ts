import type { AuditOutcome } from '../graphql/generated';

/** An action of the audit log and its plain words, as the server's catalogue (auditActions) says. */
export interface ActionLabel {
  name: string;
  label: string;
}

/** The plain words of an action; the log keeps names written long ago, shown as they are. */
export function describeAction(action: string, labels: ReadonlyMap<string, string>): string {
  return labels.get(action) ?? action;
}

/**
 * The actions a team's log can hold, for the Activity page's filter: accounts, sign-ins and the
 * platform's security log are written elsewhere.
 */
export function teamActionChoices(actions: readonly ActionLabel[]) {
  return actions
    .filter(({ name }) => !/^(user|auth|security)\./.test(name))
    .map(({ name, label }) => ({ value: name, label }));
}

export const OUTCOME_WORDS: Record<AuditOutcome, string> = {
  SUCCESS: 'Allowed',
  DENIED: 'Refused',
  FAILURE: 'Failed',
};

export function describeOutcome(outcome: AuditOutcome): string {
  return OUTCOME_WORDS[outcome];
}

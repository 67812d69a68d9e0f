import type { CombinedError } from 'urql';
import type { KeyRulesFragment } from '../graphql/generated';
import { formatDateTime } from './dates';
import { errorCode } from './error-messages';

/**
 * The team's rules for its keys, in words: what they say, why a key breaks them, and why the
 * server refused a key. The API calls application permissions "application scopes"; on screen
 * they keep the name the key dialogs use.
 */

export function lifetimeText(rules: KeyRulesFragment): string {
  const days = rules.maxLifetimeDays;
  if (days === null || days === undefined) return 'No limit';
  return days === 1 ? 'At most 1 day' : `At most ${days} days`;
}

export function allowedAppPermissionsText(rules: KeyRulesFragment): string {
  const allowed = rules.allowedApplicationScopes;
  if (!allowed) return 'Any';
  return allowed.length === 0 ? 'None' : allowed.join(', ');
}

/** What the expiry field of a key's dialog should say about the rules; null when nothing. */
export function expiryRuleHint(rules: KeyRulesFragment | undefined): string | null {
  if (!rules) return null;
  if (rules.maxLifetimeDays) {
    return `Your team's key rules require an expiry at most ${rules.maxLifetimeDays} days away.`;
  }
  return rules.requireExpiry ? "Your team's key rules require an expiry." : null;
}

export function addressesRuleHint(rules: KeyRulesFragment | undefined): string | null {
  return rules?.requireAllowedIps
    ? "Your team's key rules require at least one address or range."
    : null;
}

/**
 * A sentence of a key's policyBreaches in the app's words: the server's sentence names API fields
 * (expiresAt, allowedIps) and gives times in UTC ISO form. A sentence we don't recognise is shown
 * as it is.
 */
export function plainBreach(sentence: string): string {
  const text = sentence
    .replace(/:?\s*expiresAt must be on or before (\S+)/, (_, iso: string) => {
      const when = Number.isNaN(Date.parse(iso)) ? iso : formatDateTime(iso);
      return `, so it should expire by ${when}`;
    })
    .replace(/\s*\(allowedIps\)/, '')
    .replace(/application scope(s?)\b/g, 'application permission$1');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * The sentence for a create or update the server refused because the key would break a rule
 * (BAD_USER_INPUT naming expiresAt, allowedIps or scopes); undefined when it is another refusal.
 */
export function ruleRefusal(
  error: CombinedError,
  rules: KeyRulesFragment | undefined,
  neverExpires: boolean,
): string | undefined {
  if (!rules || errorCode(error) !== 'BAD_USER_INPUT') return undefined;
  const field = error.graphQLErrors[0]?.extensions?.field;
  if (field === 'expiresAt' && (rules.requireExpiry || rules.maxLifetimeDays)) {
    if (neverExpires || !rules.maxLifetimeDays) {
      return "Your team's key rules require every key to have an expiry. Choose one under “Expiry”.";
    }
    return `Your team's key rules let a key live at most ${rules.maxLifetimeDays} days. Choose an earlier expiry.`;
  }
  if (field === 'allowedIps' && rules.requireAllowedIps) {
    return "Your team's key rules require the addresses a key may be used from. Fill in “Allowed addresses”.";
  }
  if (field === 'scopes' && rules.allowedApplicationScopes) {
    return `Your team's key rules allow only these application permissions: ${allowedAppPermissionsText(rules)}. Untick the others.`;
  }
  return undefined;
}

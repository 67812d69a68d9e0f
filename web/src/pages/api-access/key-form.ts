import { daysFromNow, endOfLocalDay, oneYearFromNow, toInputValue } from '../../format/dates';
import { checkAddresses, MAX_ALLOWED_ADDRESSES } from '../../format/ip-addresses';
import type { CatalogEntry } from '../../format/permissions';
import type { KeyRulesFragment } from '../../graphql/generated';
import type { CreditsValue, RateLimitValue } from '../../format/limits';
import {
  creditValuesOf,
  limitsProblem,
  rateLimitValuesOf,
  type CreditValues,
  type RateLimitValues,
} from './limit-form';

/**
 * The fields of the create and edit dialogs of a key, and how they turn into the API's input.
 * Checks here only help people type: the server checks everything again.
 */
export type ExpiryChoice = 'keep' | 'never' | '30' | '90' | '365' | 'date';

export interface KeyFormValues {
  name: string;
  description: string;
  /** catalogue permissions ticked under "What this key can do" */
  permissions: string[];
  /** application permissions ticked among those the team's rules offer */
  appPicked: string[];
  /** "Application permissions", as typed (only where the team allows any) */
  appScopes: string;
  expiry: ExpiryChoice;
  /** YYYY-MM-DD when expiry is "date" */
  expiryDate: string;
  /** "Allowed addresses", as typed */
  addresses: string;
  /** empty requests: none (on create, the team's default if it has one) */
  rateLimit: RateLimitValues;
  /** empty credits: unlimited */
  credits: CreditValues;
}

export const EXPIRY_CHOICES: { value: ExpiryChoice; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'date', label: 'On a date…' },
];

export const KEEP_EXPIRY = { value: 'keep' as const, label: 'Keep as it is' };

export function emptyKeyForm(): KeyFormValues {
  return {
    name: '',
    description: '',
    permissions: [],
    appPicked: [],
    appScopes: '',
    expiry: 'never',
    expiryDate: '',
    addresses: '',
    rateLimit: rateLimitValuesOf(null),
    credits: creditValuesOf(null),
  };
}

interface ExistingKey {
  name: string;
  description?: string | null;
  scopes: string[];
  allowedIps: string[];
  expiresAt?: string | null;
  rateLimit?: RateLimitValue | null;
  credits?: CreditsValue | null;
}

/** The form filled from a key, for the edit dialog. */
export function keyFormOf(key: ExistingKey, catalog: readonly CatalogEntry[]): KeyFormValues {
  const known = new Set(catalog.map((entry) => entry.name));
  return {
    name: key.name,
    description: key.description ?? '',
    permissions: key.scopes.filter((s) => known.has(s)),
    appPicked: [],
    appScopes: key.scopes.filter((s) => !known.has(s)).join(', '),
    expiry: 'keep',
    expiryDate: key.expiresAt ? toInputValue(new Date(key.expiresAt)) : '',
    addresses: key.allowedIps.join('\n'),
    rateLimit: rateLimitValuesOf(key.rateLimit),
    credits: creditValuesOf(key.credits),
  };
}

// The shape the server accepts for a scope: resource:action, e.g. orders:read.
const SCOPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9_.*-]{1,63}$/;

export function splitScopes(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What is wrong with "Application permissions", in words; null when nothing is. */
export function appScopesProblem(text: string, catalog: readonly CatalogEntry[]): string | null {
  for (const scope of splitScopes(text)) {
    if (catalog.some((entry) => entry.name === scope)) {
      return `“${scope}” is a permission of this service: tick it under “What this key can do” instead.`;
    }
    if (!SCOPE.test(scope)) {
      return `“${scope}” doesn't look like an application permission. Write it as name:action, for example orders:read.`;
    }
  }
  return null;
}

/** What is wrong with "Allowed addresses", in words; null when nothing is. */
export function addressesProblem(text: string): string | null {
  const { entries, invalid } = checkAddresses(text);
  if (invalid) {
    return `“${invalid}” is not an address or a range. Use addresses such as 203.0.113.7 or 2001:db8::1, or ranges such as 10.0.0.0/24.`;
  }
  if (entries.length > MAX_ALLOWED_ADDRESSES) {
    return `List at most ${MAX_ALLOWED_ADDRESSES} addresses or ranges.`;
  }
  return null;
}

/**
 * The expiry as the API wants it: an ISO time, null for never, undefined to leave it as it is;
 * not ok when "On a date…" has no date from today on.
 */
export type Expiry = { ok: true; expiresAt: string | null | undefined } | { ok: false };

export function expiryOf(values: KeyFormValues, now: number = Date.now()): Expiry {
  switch (values.expiry) {
    case 'keep':
      return { ok: true, expiresAt: undefined };
    case 'never':
      return { ok: true, expiresAt: null };
    case '30':
    case '90':
      return { ok: true, expiresAt: daysFromNow(Number(values.expiry), now).toISOString() };
    case '365':
      return { ok: true, expiresAt: oneYearFromNow(new Date(now)).toISOString() };
    case 'date': {
      const end = endOfLocalDay(values.expiryDate);
      return end && end.getTime() > now
        ? { ok: true, expiresAt: end.toISOString() }
        : { ok: false };
    }
  }
}

/** The first problem of the form, in words; null when it can be sent. */
export function formProblem(
  values: KeyFormValues,
  catalog: readonly CatalogEntry[],
): string | null {
  if (!values.name.trim())
    return 'Give the key a name, for example the application that will use it.';
  if (values.name.trim().length > 100) return 'Use a name of at most 100 characters.';
  const scopes = appScopesProblem(values.appScopes, catalog);
  if (scopes) return scopes;
  if (!expiryOf(values).ok) return 'Choose an expiry date from today on.';
  return addressesProblem(values.addresses) ?? limitsProblem(values.rateLimit, values.credits);
}

export function scopesOf(values: KeyFormValues): string[] {
  return [
    ...new Set([...values.permissions, ...values.appPicked, ...splitScopes(values.appScopes)]),
  ];
}

/** An application permission a key dialog offers to tick. */
export interface AppPermissionChoice {
  name: string;
  /** from the team's catalogue; null when it has none */
  description: string | null;
  /** false for one the key holds that the team's rules no longer allow: it can only be unticked */
  allowed: boolean;
}

export interface AppPermissionOffer {
  choices: AppPermissionChoice[];
  /** whether other application permissions may be typed: only when the team allows any */
  freeTyping: boolean;
}

/**
 * What the dialogs offer: the allowed application permissions when the team limits them (and the
 * key's own, so they can be removed), else the team's catalogue plus free typing.
 */
export function appPermissionOffer(
  rules: KeyRulesFragment | undefined,
  picked: readonly string[],
): AppPermissionOffer {
  if (!rules) return { choices: [], freeTyping: true };
  const described = new Map(rules.applicationScopes.map((e) => [e.name, e.description]));
  const choice = (name: string, allowed: boolean) => ({
    name,
    description: described.get(name) ?? null,
    allowed,
  });
  const allowed = rules.allowedApplicationScopes;
  if (!allowed) {
    return { choices: [...described.keys()].map((name) => choice(name, true)), freeTyping: true };
  }
  const extra = picked.filter((name) => !allowed.includes(name));
  return {
    choices: [...allowed.map((name) => choice(name, true)), ...extra.map((n) => choice(n, false))],
    freeTyping: false,
  };
}

/**
 * The form once the rules are known: typed application permissions the dialog now offers to tick
 * are ticked instead, and, where the team allows no typing, all of them are.
 */
export function withAppPermissionOffer(
  values: KeyFormValues,
  rules: KeyRulesFragment | undefined,
): KeyFormValues {
  if (!rules) return values;
  const typed = splitScopes(values.appScopes);
  const free = !rules.allowedApplicationScopes;
  const offered = new Set(
    rules.allowedApplicationScopes ?? rules.applicationScopes.map((e) => e.name),
  );
  const moved = free ? typed.filter((s) => offered.has(s)) : typed;
  if (moved.length === 0) return values;
  return {
    ...values,
    appPicked: [...new Set([...values.appPicked, ...moved])],
    appScopes: typed.filter((s) => !moved.includes(s)).join(', '),
  };
}

export function addressesOf(values: KeyFormValues): string[] {
  return checkAddresses(values.addresses).entries;
}

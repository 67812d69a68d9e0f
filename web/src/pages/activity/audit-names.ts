import type { AuditRowFragment } from '../../graphql/generated';

/**
 * Who did it and which key it was about, in words, from an audit event and whatever names the
 * page could load (members, keys). The log records ids and an email or public key at the time;
 * names are looked up now, and missing ones fall back to what the log recorded.
 */
export interface AuditNames {
  /** user id -> name */
  people: ReadonlyMap<string, string>;
  /** key id -> name */
  keys: ReadonlyMap<string, string>;
}

export function actorText(event: AuditRowFragment, names: AuditNames): string {
  const { actor } = event;
  switch (actor.type) {
    case 'USER': {
      const name = actor.userId ? names.people.get(actor.userId) : undefined;
      if (name && actor.label) return `${name} (${actor.label})`;
      return name ?? actor.label ?? 'A person no longer in the team';
    }
    case 'API_KEY': {
      const name = actor.apiKeyId ? names.keys.get(actor.apiKeyId) : undefined;
      return `API key ${name ?? actor.label ?? ''}`.trim();
    }
    case 'SYSTEM':
      return 'The service itself';
    case 'ANONYMOUS':
      return 'Someone not signed in';
  }
}

export interface KeyRef {
  id: string;
  name: string;
}

/** The key an event is about: its target, or the key that acted. */
export function keyOfEvent(event: AuditRowFragment, names: AuditNames): KeyRef | null {
  const id = event.targetType === 'ApiKey' ? event.targetId : event.actor.apiKeyId;
  if (!id) return null;
  const recorded = event.metadata?.name ?? event.metadata?.key;
  const name = names.keys.get(id) ?? (typeof recorded === 'string' ? recorded : 'a deleted key');
  return { id, name };
}

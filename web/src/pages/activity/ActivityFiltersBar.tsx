import { Group, Select, TextInput } from '@mantine/core';
import { useAuditActions } from '../../app/use-audit-actions';
import { OUTCOME_WORDS } from '../../format/audit-actions';
import type { ActivityFilters } from './activity-filters';
import { outcomeOf } from './activity-filters';
import type { AuditDirectory } from './use-audit-names';

interface Props {
  filters: ActivityFilters;
  onChange: (change: Partial<ActivityFilters>) => void;
  directory: AuditDirectory;
}

// Mantine's Select needs a real value for "no filter"; the address keeps none
const ANY = 'any';
const fromChoice = (value: string | null) => (value && value !== ANY ? value : '');

/** Person, key, action, outcome and a range of days. */
export function ActivityFiltersBar({ filters, onChange, directory }: Props) {
  const { choices } = useAuditActions();
  const people = [
    { value: ANY, label: 'Anyone' },
    ...directory.members.map((m) => ({ value: m.id, label: `${m.name} (${m.email})` })),
  ];
  const keys = [
    { value: ANY, label: 'Any key' },
    ...directory.keyList.map((k) => ({ value: k.id, label: k.name })),
  ];
  // a key or person from a link that the lists don't hold (more than a page of keys, a former member)
  if (filters.apiKeyId && !keys.some((k) => k.value === filters.apiKeyId)) {
    keys.push({ value: filters.apiKeyId, label: 'The chosen key' });
  }
  if (filters.actorUserId && !people.some((p) => p.value === filters.actorUserId)) {
    people.push({ value: filters.actorUserId, label: 'The chosen person' });
  }
  const actions = [{ value: ANY, label: 'Any action' }, ...choices];
  const outcomes = [
    { value: ANY, label: 'Any outcome' },
    ...Object.entries(OUTCOME_WORDS).map(([value, label]) => ({ value, label })),
  ];

  return (
    <Group align="flex-end" gap="md" role="search" aria-label="Filter activity">
      <Select
        label="Person"
        data={people}
        value={filters.actorUserId || ANY}
        searchable
        allowDeselect={false}
        w={{ base: '100%', xs: 240 }}
        onChange={(value) => onChange({ actorUserId: fromChoice(value) })}
      />
      <Select
        label="API key"
        data={keys}
        value={filters.apiKeyId || ANY}
        searchable
        allowDeselect={false}
        w={{ base: '100%', xs: 220 }}
        onChange={(value) => onChange({ apiKeyId: fromChoice(value) })}
      />
      <Select
        label="Action"
        data={actions}
        value={filters.action || ANY}
        searchable
        allowDeselect={false}
        w={{ base: '100%', xs: 260 }}
        onChange={(value) => onChange({ action: fromChoice(value) })}
      />
      <Select
        label="Outcome"
        data={outcomes}
        value={filters.outcome || ANY}
        allowDeselect={false}
        w={160}
        onChange={(value) => onChange({ outcome: outcomeOf(value) })}
      />
      <TextInput
        label="From"
        type="date"
        w={170}
        value={filters.from}
        onChange={(event) => onChange({ from: event.currentTarget.value })}
      />
      <TextInput
        label="To"
        type="date"
        w={170}
        value={filters.to}
        onChange={(event) => onChange({ to: event.currentTarget.value })}
      />
    </Group>
  );
}

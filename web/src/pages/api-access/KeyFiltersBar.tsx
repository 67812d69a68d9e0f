import { Checkbox, Group, Select, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { useEffect, useRef, useState } from 'react';
import { statusOf, type KeyFilters } from './key-filters';

const STATUS_CHOICES = [
  { value: 'ALL', label: 'All' },
  { value: 'ACTIVE', label: 'Active' },
  { value: 'EXPIRED', label: 'Expired' },
  { value: 'REVOKED', label: 'Revoked' },
];

interface Props {
  filters: KeyFilters;
  onChange: (change: Partial<KeyFilters>) => void;
}

/** Status, search, "Never used", "Needs a new owner", "Leaked" and "Expiring before". */
export function KeyFiltersBar({ filters, onChange }: Props) {
  // the search box answers each key press; the list follows when typing pauses
  const [search, setSearch] = useState(filters.search);
  const applied = useRef(filters.search);
  const applySearch = useDebouncedCallback((value: string) => {
    applied.current = value;
    onChange({ search: value });
  }, 300);
  // a search set from elsewhere (back button, a link) shows in the box
  useEffect(() => {
    if (filters.search !== applied.current) {
      applied.current = filters.search;
      setSearch(filters.search);
    }
  }, [filters.search]);

  return (
    <Group align="flex-end" gap="md" role="search" aria-label="Filter API keys">
      <Select
        label="Status"
        data={STATUS_CHOICES}
        value={filters.status ?? 'ALL'}
        allowDeselect={false}
        w={160}
        onChange={(value) => onChange({ status: statusOf(value) })}
      />
      <TextInput
        label="Search by name or API key"
        type="search"
        w={{ base: '100%', xs: 280 }}
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          applySearch(event.currentTarget.value);
        }}
      />
      <TextInput
        label="Expiring before"
        type="date"
        w={180}
        value={filters.expiresBefore}
        onChange={(event) => onChange({ expiresBefore: event.currentTarget.value })}
      />
      <Group gap="md" pb={8}>
        <Checkbox
          label="Never used"
          checked={filters.neverUsed}
          onChange={(event) => onChange({ neverUsed: event.currentTarget.checked })}
        />
        <Checkbox
          label="Needs a new owner"
          checked={filters.needsOwner}
          onChange={(event) => onChange({ needsOwner: event.currentTarget.checked })}
        />
        <Checkbox
          label="Leaked"
          checked={filters.leaked}
          onChange={(event) => onChange({ leaked: event.currentTarget.checked })}
        />
      </Group>
    </Group>
  );
}

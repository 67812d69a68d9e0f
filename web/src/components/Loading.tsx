import { Group, Loader, Text } from '@mantine/core';

/** A short "Loading…" that screen readers announce politely. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Group gap="xs" role="status" py="sm">
      <Loader size="sm" aria-hidden="true" />
      <Text size="sm">{label}</Text>
    </Group>
  );
}

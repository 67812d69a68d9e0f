import { Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One term and its value in a definition list (`<dl>`) of details. */
export function DetailItem({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text component="dt" fw={600} size="sm">
        {term}
      </Text>
      <Text component="dd" m={0}>
        {children}
      </Text>
    </Stack>
  );
}

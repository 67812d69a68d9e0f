import { Container, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageTitle } from '../../app/page-title';

/** The narrow card of the sign-in and sign-up pages, on its own (no app frame before sign-in). */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title);
  return (
    <Container component="main" size={440} py="xl">
      <Stack gap="lg">
        <Text fw={700} size="lg">
          Empress API Access
        </Text>
        <Paper withBorder p="lg" radius="md">
          <Stack gap="md">
            <Title order={1} size="h2">
              {title}
            </Title>
            {children}
          </Stack>
        </Paper>
      </Stack>
    </Container>
  );
}

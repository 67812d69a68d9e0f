import { Anchor, Container, Stack, Text, Title } from '@mantine/core';
import { useContext, type ReactNode } from 'react';
import { Link } from 'react-router';
import { usePageTitle } from '../app/page-title';
import { ShellContext } from '../app/shell-context';

/** Any address the app doesn't know; inside the app frame when signed in, on its own otherwise. */
export function NotFoundPage() {
  usePageTitle('Page not found');
  const insideApp = useContext(ShellContext) !== null;
  const content = (
    <Stack>
      <Title order={1}>Page not found</Title>
      <Text>
        There is no page at this address. Check the link, or start again from your dashboard.
      </Text>
      <Anchor component={Link} to="/dashboard">
        Go to your dashboard
      </Anchor>
    </Stack>
  );
  return insideApp ? content : <Standalone>{content}</Standalone>;
}

function Standalone({ children }: { children: ReactNode }) {
  return (
    <Container component="main" size="sm" py="xl">
      {children}
    </Container>
  );
}

import { Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { formatCount } from '../format/numbers';

/**
 * Cursor pagination as "Previous page" / "Next page": the cursors of the pages already seen are
 * kept, so going back asks for the same page again.
 */
export interface CursorPages {
  /** the cursor to pass as `after` for the current page */
  after: string | null;
  /** 1-based number of the current page */
  page: number;
  next: (endCursor: string) => void;
  previous: () => void;
  reset: () => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const next = useCallback((endCursor: string) => setCursors((c) => [...c, endCursor]), []);
  const previous = useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []);
  const reset = useCallback(() => setCursors([null]), []);
  return { after: cursors[cursors.length - 1], page: cursors.length, next, previous, reset };
}

interface Props {
  pages: CursorPages;
  hasNextPage: boolean;
  endCursor: string | null | undefined;
  /** how many items there are on all pages, when the API says */
  totalCount?: number;
  pageSize: number;
  /** names what is paged, e.g. "Pages of API keys" */
  label: string;
}

export function CursorPager({ pages, hasNextPage, endCursor, totalCount, pageSize, label }: Props) {
  const pageCount =
    totalCount === undefined ? undefined : Math.max(1, Math.ceil(totalCount / pageSize));
  return (
    <Group component="nav" aria-label={label} justify="space-between" gap="sm">
      <Text size="sm">
        Page {formatCount(pages.page)}
        {pageCount !== undefined ? ` of ${formatCount(pageCount)}` : ''}
      </Text>
      <Group gap="xs">
        <Button variant="default" disabled={pages.page === 1} onClick={pages.previous}>
          Previous page
        </Button>
        <Button
          variant="default"
          disabled={!hasNextPage || !endCursor}
          onClick={() => endCursor && pages.next(endCursor)}
        >
          Next page
        </Button>
      </Group>
    </Group>
  );
}

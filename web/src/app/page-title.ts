import { useEffect } from 'react';

/** The browser tab's title: "<page> · Empress API Access". */
export function usePageTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} · Empress API Access`;
  }, [page]);
}

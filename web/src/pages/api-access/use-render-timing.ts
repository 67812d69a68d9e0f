import { useEffect, useRef } from 'react';

/**
 * Performance marks of the keys table, read by a browser test: 'keys:data' when an answer of the
 * keys query arrives, 'keys:rendered' once the table for it is on screen, and the measure
 * 'keys:render' between the two.
 */
export function useKeysRenderTiming(data: unknown): void {
  const marked = useRef<unknown>(undefined);
  // during render, the first moment this component sees the answer (once per answer)
  if (data !== undefined && data !== marked.current) {
    marked.current = data;
    performance.mark('keys:data');
  }
  useEffect(() => {
    if (data === undefined) return;
    const frame = requestAnimationFrame(() => {
      performance.mark('keys:rendered');
      try {
        performance.measure('keys:render', 'keys:data', 'keys:rendered');
      } catch {
        // a mark was cleared by someone else: nothing to measure
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [data]);
}

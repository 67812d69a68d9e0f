import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

/**
 * Filters that live in the address (?status=ACTIVE&...), so a filtered page can be linked to and
 * survives going back. The component state is the source of truth while the page is open: a
 * checkbox shows its new state at once, without waiting for the router's navigation to commit.
 * The address follows each change (replacing the history entry: one step per letter typed would
 * be useless), and a change of the address from elsewhere (a link, Back) is followed in turn.
 */
export function useAddressState<T>(
  read: (params: URLSearchParams) => T,
  write: (value: T) => URLSearchParams,
): [T, (change: Partial<T>) => void] {
  const [params, setParams] = useSearchParams();
  const [value, setValue] = useState(() => read(params));
  const address = params.toString();
  const written = useRef(address);

  const reader = useRef(read);
  reader.current = read;

  useEffect(() => {
    if (address === written.current) return;
    written.current = address;
    setValue(reader.current(new URLSearchParams(address)));
  }, [address]);

  const change = useCallback(
    (changes: Partial<T>) => {
      const next = { ...value, ...changes };
      setValue(next);
      const out = write(next);
      written.current = out.toString();
      setParams(out, { replace: true });
    },
    [value, write, setParams],
  );
  return [value, change];
}

import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { createApiClient } from './client';

const ResetClientContext = createContext<() => void>(() => undefined);

/**
 * Holds the API client. resetClient() replaces it with an empty one, dropping every cached
 * answer: used when someone signs in or out.
 */
export function ClientProvider({ children }: { children: ReactNode }) {
  const [client, setClient] = useState(createApiClient);
  const resetClient = useCallback(() => setClient(createApiClient()), []);
  return (
    <ResetClientContext.Provider value={resetClient}>
      <Provider value={client}>{children}</Provider>
    </ResetClientContext.Provider>
  );
}

export function useResetClient(): () => void {
  return useContext(ResetClientContext);
}

import { Client, cacheExchange, fetchExchange, mapExchange } from 'urql';
import { isUnauthenticated } from '../format/error-messages';
import { sessionExpired } from '../session/session-expired';

/**
 * The API client: POST /graphql on this origin, with the session cookie (never a token the app
 * could read). An UNAUTHENTICATED answer anywhere means the session is gone; the router then
 * sends the person to sign in. A new client is made at every sign-in and sign-out, so nothing
 * cached for one person is ever shown to the next.
 */
export function createApiClient(): Client {
  return new Client({
    url: '/graphql',
    preferGetMethod: false,
    fetchOptions: { credentials: 'same-origin' },
    requestPolicy: 'cache-and-network',
    exchanges: [
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) sessionExpired();
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}

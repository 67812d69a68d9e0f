import proxyAddr from '@fastify/proxy-addr';

/** Is the peer at this address (hop 0: the one that connected) a proxy the deployment named? */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, given to Fastify (which then takes the client address from
 * X-Forwarded-For only through these proxies) and to the key verifier (a named proxy may speak for
 * the clients it asks about). Nobody by default.
 */
export function proxyTrust(setting: boolean | string): ProxyTrust {
  if (setting === false) return () => false;
  if (setting === true) return () => true;
  return proxyAddr.compile(setting.split(','));
}

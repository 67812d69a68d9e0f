import type { SignedInUser } from './factories';
import type { TestServer } from './server';

export interface CreatedKey {
  id: string;
  key: string;
  secret: string;
}

export const API_KEY_FIELDS = `id key name description secretLast4 secretVersion secretRegeneratedAt scopes allowedIps expiresAt revokedAt status createdAt lastUsedAt lastUsedIp createdBy { id } team { id }`;

export async function createKey(
  t: TestServer,
  by: SignedInUser,
  teamId: string,
  input: Record<string, unknown> = {},
): Promise<CreatedKey> {
  const res = await t.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id key } } }`,
    { input: { teamId, name: 'app', ...input } },
    by.headers,
  );
  if (!res.data?.createApiKey) throw new Error(`createApiKey failed: ${JSON.stringify(res.errors)}`);
  const { secret, apiKey } = res.data.createApiKey;
  return { id: apiKey.id, key: apiKey.key, secret };
}

export function basic(key: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` };
}

export async function verify(t: TestServer, key: string, secret: string, extra: { requiredScopes?: string[]; clientIp?: string } = {}) {
  const res = await t.gql(
    `mutation($k: String!, $s: String!, $r: [String!], $ip: String) {
       verifyApiCredentials(key: $k, secret: $s, requiredScopes: $r, clientIp: $ip) { valid code teamId scopes apiKey { id } }
     }`,
    { k: key, s: secret, r: extra.requiredScopes, ip: extra.clientIp },
  );
  if (!res.data?.verifyApiCredentials) throw new Error(`verify failed: ${JSON.stringify(res.errors)}`);
  return res.data.verifyApiCredentials as { valid: boolean; code: string; teamId: string | null; scopes: string[]; apiKey: { id: string } | null };
}

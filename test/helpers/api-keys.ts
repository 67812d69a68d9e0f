import { CreateApiKeyDocument, type CreateApiKeyInput } from '../clients/generated/graphql';
import type { SignedInUser } from './factories';
import { verifyWith } from './http';
import type { TestServer } from './server';

export interface CreatedKey {
  id: string;
  key: string;
  secret: string;
}

export async function createKey(
  t: TestServer,
  by: SignedInUser,
  teamId: string,
  input: Partial<CreateApiKeyInput> = {},
): Promise<CreatedKey> {
  const res = await t.gql(
    CreateApiKeyDocument,
    { input: { teamId, name: 'app', ...input } },
    by.headers,
  );
  if (!res.data?.createApiKey)
    throw new Error(`createApiKey failed: ${JSON.stringify(res.errors)}`);
  const { secret, apiKey } = res.data.createApiKey;
  return { id: apiKey.id, key: apiKey.key, secret };
}

export function basic(key: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` };
}

/** verifyApiCredentials from 127.0.0.1 (verifyWith for another address). */
export function verify(
  t: TestServer,
  key: string,
  secret: string,
  extra: { requiredScopes?: string[]; clientIp?: string } = {},
) {
  return verifyWith(t.gql, key, secret, extra);
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { sha256 } from '../auth/tokens';
import { ANONYMOUS } from '../auth/principal';
import { actorAs } from '../context/request-context';
import {
  REPORTED_SECRET_MAX,
  REPORTED_URL_MAX,
  type LeakReport,
} from '../modules/api-key/leaked-secrets';
import type { Services } from '../modules/services';
import { firstHeader } from '../request/headers';
import { traceOf } from '../request/trace';
import { signedByGithub, type GithubScanningKey } from '../security/github-scanning-keys';
import { fail } from './refusal';

export const SECRET_SCANNING_PATH = '/v1/secret-scanning/github';
/** GitHub sends matches in batches: a body may be this large, no larger */
export const SECRET_SCANNING_BODY_LIMIT = 1024 * 1024;

/** One match GitHub found, as its secret scanning partner program sends it. */
interface GithubMatch {
  token: string;
  type: string;
  url?: string | null;
  source?: string | null;
}

const optionalText = (value: unknown, max: number) =>
  value === undefined || value === null || (typeof value === 'string' && value.length <= max);

/** The body as GitHub's format has it, a list of matches; null for anything else. */
function matchesOf(body: Buffer): GithubMatch[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const wellFormed = parsed.every((item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
    const { token, type, url, source } = item as Record<string, unknown>;
    return (
      typeof token === 'string' &&
      token.length > 0 &&
      token.length <= REPORTED_SECRET_MAX &&
      typeof type === 'string' &&
      type.length <= 200 &&
      optionalText(url, REPORTED_URL_MAX) &&
      optionalText(source, 200)
    );
  });
  return wellFormed ? (parsed as GithubMatch[]) : null;
}

/**
 * POST /v1/secret-scanning/github: GitHub's secret scanning partner program. GitHub finds our
 * secrets (their format: docs/api-keys.md) in public repositories, gists and the like, and posts
 * them here in batches, `[{ token, type, url, source }]`, signed with ECDSA P-256 / SHA-256 over
 * the body's bytes (Github-Public-Key-Signature, base64 of DER) by the key it names
 * (Github-Public-Key-Identifier), out of GitHub's key document in the configuration
 * (GITHUB_SECRET_SCANNING_KEYS or GITHUB_SECRET_SCANNING_KEYS_FILE; the service never asks GitHub).
 *
 * - not configured: 404, saying so;
 * - unsigned, an unknown key, a bad signature (the body changed, another key): 401, nothing done;
 * - a body over 1 MiB: 413; not GitHub's shape: 400; nothing revoked either way;
 * - otherwise each token is reported as reportLeakedSecret reports one (a live key is revoked at
 *   once, as LEAKED, where it was found = the match's url), and the answer is GitHub's:
 *   `[{ token_hash, token_type, label }]`, `true_positive` for the current secret of one of our
 *   keys (live or revoked before), `false_positive` otherwise. GitHub proved who it is: telling it
 *   is fine.
 */
export function registerSecretScanningRoute(
  app: FastifyInstance,
  services: Services,
  dataSource: DataSource,
  keys: readonly GithubScanningKey[],
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    traceOf(request).operation = 'secretScanning.github';
    reply.header('cache-control', 'no-store');
    if (keys.length === 0)
      return fail(
        reply,
        404,
        'NOT_FOUND',
        'GitHub secret scanning is not configured on this service (GITHUB_SECRET_SCANNING_KEYS)',
      );
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signed = signedByGithub(
      keys,
      firstHeader(request.headers, 'github-public-key-identifier'),
      firstHeader(request.headers, 'github-public-key-signature'),
      body,
    );
    if (!signed)
      return fail(reply, 401, 'UNAUTHENTICATED', 'The body is not signed by a known GitHub key');
    const matches = matchesOf(body);
    if (!matches)
      return fail(
        reply,
        400,
        'BAD_USER_INPUT',
        'The body must be a list of { token, type, url, source } matches',
      );
    const { actor } = actorAs(ANONYMOUS, request, services, dataSource);
    const reports: LeakReport[] = matches.map((m) => ({ secret: m.token, url: m.url }));
    const outcomes = await services.leakedSecrets.report(actor, reports, 'github');
    return matches.map((m, i) => ({
      token_hash: sha256(m.token).toString('hex'),
      token_type: m.type,
      label: outcomes[i].ours ? 'true_positive' : 'false_positive',
    }));
  };

  // A scope of its own: the signature is over the body's bytes, so they are kept as they came,
  // whatever the content type says, up to the limit.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: SECRET_SCANNING_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.statusCode === 413)
        return fail(reply, 413, 'BAD_USER_INPUT', 'The body is larger than 1 MiB');
      throw error;
    });
    scope.post(SECRET_SCANNING_PATH, { bodyLimit: SECRET_SCANNING_BODY_LIMIT }, handler);
  });
}

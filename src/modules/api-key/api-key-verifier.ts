import type { Principal } from '../../auth/principal';
import { digestsEqual, sha256 } from '../../auth/tokens';
import type { FailureLimiter } from '../../security/failure-limiter';
import type { ProxyTrust } from '../../security/trusted-proxies';
import { ipAllowed, normalizeIp } from '../../security/ip-allowlist';
import type { RequestClient } from '../../request/client';
import type { ApiKeyCache } from './api-key-cache';
import { apiKeyStatus, ApiKeyStatus, type ApiKey } from './api-key.entity';
import { isWellFormedKey, isWellFormedSecret } from './api-key-format';
import { VerificationCode } from './api-key.types';
import type { CreditDecision, CreditLeases } from './credit-leases';
import type { KeyRateLimiter, RateDecision } from './key-rate-limiter';
import type { UsageRecorder } from './usage-recorder';

export interface VerifyRequest {
  key: string;
  secret: string;
  via: 'graphql' | 'verifyApiCredentials' | 'authorize';
  /** who asks: the address the request came from (a gateway, or the application), its agent and ids */
  caller: RequestClient;
  requiredScopes?: readonly string[];
  /** the end client's address, when a gateway asks on its behalf */
  clientIp?: string | null;
  /** credits this request uses, for a key with credits (checked by the caller: checkCost); 1 if omitted */
  cost?: number;
}

export interface VerifyResult {
  code: VerificationCode;
  /** set only when the secret matched */
  apiKey: ApiKey | null;
  /** the id of the key the credentials named, when it exists (for the request log) */
  keyId: string | null;
  /** what the key can do now (its effective scopes); empty unless the secret matched */
  scopes: string[];
  /** the caller these credentials stand for: set only for VALID */
  principal: Extract<Principal, { type: 'API_KEY' }> | null;
  /** where the key stands against its rate limit; null for a key without one (or a refusal before) */
  rateLimit: RateDecision | null;
  /** the key's credits after this request; null for a key without credits (or a refusal before) */
  credits: CreditDecision | null;
}

interface Asking {
  /** the client address the caller named, if any */
  clientIp: string | null;
  /** whether the caller may speak for that client (a proxy named in TRUST_PROXY) */
  clientTrusted: boolean;
  buckets: { address: string[]; gateway: string[] };
}

const REFUSED = (code: VerificationCode, keyId: string | null = null): VerifyResult => ({
  code,
  apiKey: null,
  keyId,
  scopes: [],
  principal: null,
  rateLimit: null,
  credits: null,
});

// Compared against when the key is unknown, so an unknown key costs what a wrong secret costs.
const DUMMY_DIGEST = sha256('empress-unknown-key');

export interface VerifyLimits {
  /** failures per address: the caller's own, or the client a gateway asks about */
  address: FailureLimiter;
  /** failures per gateway address, over all the clients it asks about */
  gateway: FailureLimiter;
}

/**
 * Checks a key and secret. The order of the checks is the security of it:
 * 1. over the failure limit (per calling address and per client address)? RATE_LIMITED;
 * 2. malformed key, or a secret whose checksum fails? INVALID, without touching the database;
 * 3. unknown key or wrong secret? INVALID (constant-time digest comparison either way);
 * 4. only now, with the right secret in hand, the key's state: REVOKED, EXPIRED,
 *    IP_NOT_ALLOWED, INSUFFICIENT_SCOPE (against what it can do now: its scopes, its API
 *    permissions cut to its owner's), or VALID;
 * 5. a request that would be VALID takes one from the key's own rate limit, if it has one:
 *    RATE_LIMITED once the window's requests are used up (KeyRateLimiter);
 * 6. and only a request within its rate limit spends the key's credits, if it has any:
 *    USAGE_EXCEEDED when they don't cover its cost (CreditLeases).
 * Only INVALID counts against the failure limits: a gateway sending thousands of good credentials a
 * second is never slowed. Each answer about a real key is counted for its usage (UsageRecorder).
 */
export class ApiKeyVerifier {
  /** told of every answer, for metrics */
  observer: (via: VerifyRequest['via'], code: VerificationCode) => void = () => undefined;

  constructor(
    private readonly cache: ApiKeyCache,
    private readonly limits: VerifyLimits,
    private readonly usage: UsageRecorder,
    /** the proxies the deployment named (TRUST_PROXY): only they may speak for clients */
    private readonly trusted: ProxyTrust,
    private readonly rates: KeyRateLimiter,
    private readonly credits: CreditLeases,
  ) {}

  async verify(request: VerifyRequest): Promise<VerifyResult> {
    const result = await this.check(request);
    this.observer(request.via, result.code);
    return result;
  }

  private async check(request: VerifyRequest): Promise<VerifyResult> {
    const asking = this.whoIsAsking(request);
    const { buckets } = asking;
    if (
      this.limits.address.isBlocked(buckets.address) ||
      this.limits.gateway.isBlocked(buckets.gateway)
    ) {
      return REFUSED(VerificationCode.RATE_LIMITED);
    }

    if (!isWellFormedKey(request.key) || !isWellFormedSecret(request.secret)) {
      this.limits.address.recordLocalFailure(buckets.address);
      this.limits.gateway.recordLocalFailure(buckets.gateway);
      return REFUSED(VerificationCode.INVALID);
    }

    const found = await this.cache.find(request.key);
    const matches =
      digestsEqual(found?.key.secretDigest ?? DUMMY_DIGEST, sha256(request.secret)) &&
      found !== null;
    if (!found || !matches) {
      await this.limits.address.recordFailure(buckets.address);
      if (buckets.gateway.length) await this.limits.gateway.recordFailure(buckets.gateway);
      if (!found) return REFUSED(VerificationCode.INVALID);
      this.trace(request, found.key, VerificationCode.INVALID, asking);
      return REFUSED(VerificationCode.INVALID, found.key.id);
    }

    const apiKey = found.key;
    const { scopes } = found;
    let code = this.stateOf(
      apiKey,
      scopes,
      request.requiredScopes ?? [],
      asking.clientIp ?? request.caller.ip,
    );
    // 5. only a request the key may make counts against its rate limit
    const rateLimit =
      code === VerificationCode.VALID && apiKey.rateLimit
        ? await this.rates.take(apiKey.id, apiKey.rateLimit)
        : null;
    if (rateLimit && !rateLimit.allowed) code = VerificationCode.RATE_LIMITED;
    // 6. only a request the key may make now spends its credits
    const credits =
      code === VerificationCode.VALID && apiKey.creditsRemaining !== null
        ? await this.credits.take(apiKey, request.cost ?? 1)
        : null;
    if (credits && !credits.allowed) code = VerificationCode.USAGE_EXCEEDED;
    this.trace(request, apiKey, code, asking);
    const keyId = apiKey.id;
    const answer = { code, apiKey, keyId, scopes, rateLimit, credits };
    if (code !== VerificationCode.VALID) return { ...answer, principal: null };
    const { permissions } = found;
    return { ...answer, principal: { type: 'API_KEY' as const, apiKey, permissions, scopes } };
  }

  /**
   * Who is asking, and whose failures count where. A caller asking for itself, or naming a client
   * it is not trusted to speak for (it is not a proxy named in TRUST_PROXY): its own address. The
   * clientIp it names still decides the allow-list answer of that one call, which fools only the
   * caller, and is recorded as a claim, not as the address. A trusted gateway asking on behalf of
   * a client: the client's address at the normal limit, and the gateway's own at the (much
   * higher) gateway limit, so that one abusive client can't get a whole gateway refused, while a
   * gateway that makes up a new clientIp for every try is still stopped. So nobody can get
   * another client's good credentials refused by failing in its name.
   */
  private whoIsAsking(request: VerifyRequest): Asking {
    const clientIp = request.clientIp ? normalizeIp(request.clientIp) : null;
    const callerIp = request.caller.ip;
    const caller = callerIp ?? 'unknown';
    const forClient =
      clientIp !== null && clientIp !== callerIp && callerIp !== null && this.trusted(callerIp, 0);
    if (!forClient)
      return {
        clientIp,
        clientTrusted: false,
        buckets: { address: [`caller:${caller}`], gateway: [] },
      };
    return {
      clientIp,
      clientTrusted: true,
      buckets: { address: [`client:${clientIp}`], gateway: [`gateway:${caller}`] },
    };
  }

  private stateOf(
    apiKey: ApiKey,
    scopes: readonly string[],
    requiredScopes: readonly string[],
    ip: string | null,
  ): VerificationCode {
    const status = apiKeyStatus(apiKey);
    if (status === ApiKeyStatus.REVOKED) return VerificationCode.REVOKED;
    if (status === ApiKeyStatus.EXPIRED) return VerificationCode.EXPIRED;
    if (!ipAllowed(apiKey.allowedIps, ip)) return VerificationCode.IP_NOT_ALLOWED;
    if (!requiredScopes.every((scope) => scopes.includes(scope)))
      return VerificationCode.INSUFFICIENT_SCOPE;
    return VerificationCode.VALID;
  }

  /** Counted for the key's usage; the request's own detail is in the request log. */
  private trace(
    request: VerifyRequest,
    apiKey: ApiKey,
    code: VerificationCode,
    asking: Asking,
  ): void {
    const { caller } = request;
    this.usage.record({
      apiKey,
      code,
      via: request.via,
      ip: asking.clientTrusted ? asking.clientIp : caller.ip,
      userAgent: caller.userAgent,
      requestId: caller.requestId,
      clientRequestId: caller.clientRequestId,
    });
  }
}

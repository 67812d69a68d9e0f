import { digestsEqual, sha256 } from '../../auth/tokens';
import type { FailureLimiter } from '../../security/failure-limiter';
import { ipAllowed, normalizeIp } from '../../security/ip-allowlist';
import type { ApiKeyCache } from './api-key-cache';
import { apiKeyStatus, ApiKeyStatus, type ApiKey } from './api-key.entity';
import { isWellFormedKey, isWellFormedSecret } from './api-key-format';
import { VerificationCode } from './api-key.types';
import type { UsageRecorder } from './usage-recorder';

export interface VerifyRequest {
  key: string;
  secret: string;
  requiredScopes?: readonly string[];
  /** the end client's address, when a gateway asks on its behalf */
  clientIp?: string | null;
  /** the address the request itself came from (a gateway, or the application) */
  callerIp: string | null;
  via: 'graphql' | 'verifyApiCredentials' | 'authorize';
  operation?: string | null;
  userAgent: string | null;
  requestId: string;
}

export interface VerifyResult {
  code: VerificationCode;
  /** set only when the secret matched */
  apiKey: ApiKey | null;
}

// Compared against when the key is unknown, so an unknown key costs what a wrong secret costs.
const DUMMY_DIGEST = sha256('empress-unknown-key');

/**
 * Checks a key and secret. The order of the checks is the security of it:
 * 1. over the failure limit (per calling address and per client address)? RATE_LIMITED;
 * 2. malformed key, or a secret whose checksum fails? INVALID, without touching the database;
 * 3. unknown key or wrong secret? INVALID (constant-time digest comparison either way);
 * 4. only now, with the right secret in hand, the key's state: REVOKED, EXPIRED,
 *    IP_NOT_ALLOWED, INSUFFICIENT_SCOPE, or VALID.
 * Only INVALID counts against the limit: a gateway sending thousands of good credentials a
 * second is never slowed. Each answer about a real key is traced (batched) as apiKey.used.
 */
export interface VerifyLimits {
  /** failures per address: the caller's own, or the client a gateway asks about */
  address: FailureLimiter;
  /** failures per gateway address, over all the clients it asks about */
  gateway: FailureLimiter;
}

export class ApiKeyVerifier {
  /** told of every answer, for metrics */
  observer: (via: VerifyRequest['via'], code: VerificationCode) => void = () => undefined;

  constructor(
    private readonly cache: ApiKeyCache,
    private readonly limits: VerifyLimits,
    private readonly usage: UsageRecorder,
  ) {}

  async verify(request: VerifyRequest): Promise<VerifyResult> {
    const result = await this.check(request);
    this.observer(request.via, result.code);
    return result;
  }

  private async check(request: VerifyRequest): Promise<VerifyResult> {
    const clientIp = request.clientIp ? normalizeIp(request.clientIp) : null;
    const buckets = this.bucketsOf(request.callerIp, clientIp);
    if (this.limits.address.isBlocked(buckets.address) || this.limits.gateway.isBlocked(buckets.gateway)) {
      return { code: VerificationCode.RATE_LIMITED, apiKey: null };
    }

    if (!isWellFormedKey(request.key) || !isWellFormedSecret(request.secret)) {
      this.limits.address.recordLocalFailure(buckets.address);
      this.limits.gateway.recordLocalFailure(buckets.gateway);
      return { code: VerificationCode.INVALID, apiKey: null };
    }

    const apiKey = await this.cache.find(request.key);
    const matches = digestsEqual(apiKey?.secretDigest ?? DUMMY_DIGEST, sha256(request.secret)) && apiKey !== null;
    if (!apiKey || !matches) {
      await this.limits.address.recordFailure(buckets.address);
      if (buckets.gateway.length) await this.limits.gateway.recordFailure(buckets.gateway);
      if (apiKey) this.trace(request, apiKey, VerificationCode.INVALID, clientIp);
      return { code: VerificationCode.INVALID, apiKey: null };
    }

    const code = this.stateOf(apiKey, request.requiredScopes ?? [], clientIp ?? request.callerIp);
    this.trace(request, apiKey, code, clientIp);
    return { code, apiKey };
  }

  /**
   * Whose failures count where. A caller asking for itself: its own address. A gateway asking on
   * behalf of a client: the client's address at the normal limit, and the gateway's address at
   * the (much higher) gateway limit, so that one abusive client can't get a whole gateway
   * refused, while a caller that makes up a new clientIp for every try is still stopped.
   */
  private bucketsOf(callerIp: string | null, clientIp: string | null): { address: string[]; gateway: string[] } {
    const caller = callerIp ?? 'unknown';
    if (!clientIp || clientIp === callerIp) return { address: [`caller:${caller}`], gateway: [] };
    return { address: [`client:${clientIp}`], gateway: [`gateway:${caller}`] };
  }

  private stateOf(apiKey: ApiKey, requiredScopes: readonly string[], ip: string | null): VerificationCode {
    const status = apiKeyStatus(apiKey);
    if (status === ApiKeyStatus.REVOKED) return VerificationCode.REVOKED;
    if (status === ApiKeyStatus.EXPIRED) return VerificationCode.EXPIRED;
    if (!ipAllowed(apiKey.allowedIps, ip)) return VerificationCode.IP_NOT_ALLOWED;
    if (!requiredScopes.every((scope) => apiKey.scopes.includes(scope))) return VerificationCode.INSUFFICIENT_SCOPE;
    return VerificationCode.VALID;
  }

  private trace(request: VerifyRequest, apiKey: ApiKey, code: VerificationCode, clientIp: string | null): void {
    this.usage.record({
      apiKey,
      code,
      via: request.via,
      operation: request.operation,
      requiredScopes: request.requiredScopes ? [...request.requiredScopes] : undefined,
      ip: clientIp ?? request.callerIp,
      userAgent: request.userAgent,
      requestId: request.requestId,
    });
  }
}

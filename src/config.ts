import { readFileSync } from 'node:fs';
import { parseGithubScanningKeys, type GithubScanningKey } from './security/github-scanning-keys';
import { normalizeAllowedIp } from './security/ip-allowlist';

export type NodeEnv = 'development' | 'production' | 'test';

/**
 * The environment, parsed and checked once at start-up. A bad value stops the start with a
 * message that names the variable, instead of surfacing later as a confusing runtime error.
 */
export interface Config {
  /** NODE_ENV, or development when it is unset (introspection for the playground, sign-up on) */
  nodeEnv: NodeEnv;
  /**
   * stack traces and internal messages in error answers: only when NODE_ENV=development was set
   * on purpose, never because it was left unset (`npm start` as the README says)
   */
  exposeErrors: boolean;
  port: number;
  host: string;
  /** unset: start the embedded PostgreSQL under dataDir */
  databaseUrl?: string;
  /** connections this instance keeps to PostgreSQL at most (its pool) */
  databasePoolSize: number;
  dataDir: string;
  allowSignup: boolean;
  bootstrapAdminEmail?: string;
  bootstrapAdminPassword?: string;
  logLevel: string;
  /** whose X-Forwarded-For is believed: false (nobody, the default), true, or a list of proxy addresses/CIDRs */
  trustProxy: boolean | string;
  redisUrl?: string;
  /** GitHub's secret scanning public keys; empty: POST /v1/secret-scanning/github answers 404 */
  githubScanningKeys: GithubScanningKey[];
  /** where people reach the web app, for links in emails (e.g. https://keys.example.com) */
  publicUrl: string;
  /** unset: no email is sent */
  smtp?: { url: string; from: string };
  webhooks: {
    /** plain http and private, loopback and link-local addresses allowed (development, tests) */
    allowPrivate: boolean;
    /** base64 of 32 bytes: the key signing secrets are encrypted with; unset: a key file in dataDir */
    secretsKey?: string;
  };
  /** bearer token that /metrics requires; unset: /metrics answers callers on loopback only */
  metricsToken?: string;
  sessionTtlHours: number;
  /** seconds between two runs of the maintenance job (purges of expired and spent rows) */
  maintenanceIntervalSeconds: number;
  invitations: {
    /** how long an invitation can be accepted */
    ttlHours: number;
    /** open invitations one team may have at a time */
    maxPendingPerTeam: number;
  };
  limits: {
    queryDepth: number;
    queryAliases: number;
    queryTokens: number;
    queryCost: number;
    queryDirectives: number;
    /** failed sign-ins per account and address in a window */
    loginFailures: number;
    /** failed sign-ins per address, whatever the account */
    loginAddressFailures: number;
    /** failed sign-ins per account, whatever the address: the ceiling against many addresses */
    loginAccountFailures: number;
    loginWindowMinutes: number;
    signUpsPerAddress: number;
    signUpsTotal: number;
    signUpWindowMinutes: number;
    /** argon2 operations at once, and how many may wait for a turn */
    hashConcurrency: number;
    hashQueue: number;
    verifyFailures: number;
    verifyWindowSeconds: number;
    /** rows the security log may gain per minute and instance; the rest is counted in one overflow row */
    securityLogRowsPerMinute: number;
    /** pool connections that heavy work (chain walks, export batches, large audit pages) may hold at once, per instance */
    heavyWorkConnections: number;
    /** exports of one team's audit log that may stream at once, across instances */
    exportsPerTeam: number;
    /** reportLeakedSecret calls per address in a window, across instances */
    leakReportsPerAddress: number;
    leakReportWindowMinutes: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false`);
}

function oneOf(env: Env, name: string, values: string[], fallback: string): string {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!values.includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}`);
  return raw;
}

function str(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * Whose X-Forwarded-For is believed: by default nobody, so a client can't choose its own address
 * (allow-lists, per-address limits and audit rows all use it). A deployment names its proxies:
 * addresses or CIDR blocks, and the presets loopback, linklocal and uniquelocal; `true` believes
 * anyone (only when nothing can reach the service but through the proxy).
 */
function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || /^(false|0|no)$/i.test(raw)) return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  const entries = raw.split(',').map((entry) => entry.trim());
  if (
    entries.some(
      (entry) =>
        !['loopback', 'linklocal', 'uniquelocal'].includes(entry) && !normalizeAllowedIp(entry),
    )
  ) {
    throw new ConfigError(
      'TRUST_PROXY must be true, false, or a list of addresses, CIDR blocks and the presets loopback, linklocal, uniquelocal',
    );
  }
  return entries.join(',');
}

/**
 * Sign-in limits. One address can put at most twice LOGIN_MAX_FAILURES failures on an account
 * within one account window (two of its own windows overlapping it), so the account ceiling must
 * be above that: then nobody locks an account for everyone from a single address.
 */
function loginLimits(env: Env) {
  const loginFailures = int(env, 'LOGIN_MAX_FAILURES', 10, 1, 10000);
  const loginAccountFailures = int(env, 'LOGIN_MAX_ACCOUNT_FAILURES', 100, 3, 1000000);
  if (loginAccountFailures <= 2 * loginFailures) {
    throw new ConfigError(
      'LOGIN_MAX_ACCOUNT_FAILURES must be more than twice LOGIN_MAX_FAILURES, or one address could lock an account for everyone',
    );
  }
  return {
    loginFailures,
    loginAddressFailures: int(env, 'LOGIN_MAX_ADDRESS_FAILURES', 30, 1, 1000000),
    loginAccountFailures,
    loginWindowMinutes: int(env, 'LOGIN_WINDOW_MINUTES', 15, 1, 24 * 60),
  };
}

/**
 * DATABASE_POOL_SIZE, which must leave room beside the heavy work's share: below it, the rest of
 * the pool stays free for everything else.
 */
function poolSize(env: Env): number {
  const size = int(env, 'DATABASE_POOL_SIZE', 20, 2, 200);
  if (int(env, 'HEAVY_WORK_CONNECTIONS', 4, 1, 199) >= size)
    throw new ConfigError('HEAVY_WORK_CONNECTIONS must be below DATABASE_POOL_SIZE');
  return size;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnvSet = str(env, 'NODE_ENV');
  const nodeEnvRaw = nodeEnvSet ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError('NODE_ENV must be development, production or test');
  }
  const nodeEnv = nodeEnvRaw as NodeEnv;
  const databaseUrl = str(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const bootstrapAdminEmail = str(env, 'BOOTSTRAP_ADMIN_EMAIL');
  const bootstrapAdminPassword = str(env, 'BOOTSTRAP_ADMIN_PASSWORD');
  if (bootstrapAdminPassword !== undefined && bootstrapAdminPassword.length < 12) {
    throw new ConfigError('BOOTSTRAP_ADMIN_PASSWORD must be at least 12 characters');
  }
  return {
    nodeEnv,
    exposeErrors: nodeEnvSet === 'development',
    port: int(env, 'PORT', 4000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    databasePoolSize: poolSize(env),
    dataDir: str(env, 'DATA_DIR') ?? '.data',
    allowSignup: bool(env, 'ALLOW_SIGNUP', nodeEnv !== 'production'),
    bootstrapAdminEmail,
    bootstrapAdminPassword,
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    trustProxy: trustProxy(str(env, 'TRUST_PROXY')),
    redisUrl: str(env, 'REDIS_URL'),
    githubScanningKeys: githubScanningKeys(env),
    webhooks: webhooks(env),
    publicUrl: publicUrl(env),
    smtp: smtp(env),
    metricsToken: str(env, 'METRICS_TOKEN'),
    sessionTtlHours: int(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 30),
    maintenanceIntervalSeconds: int(env, 'MAINTENANCE_INTERVAL_SECONDS', 300, 1, 86400),
    invitations: {
      ttlHours: int(env, 'INVITATION_TTL_HOURS', 7 * 24, 1, 90 * 24),
      maxPendingPerTeam: int(env, 'INVITATION_MAX_PENDING', 100, 1, 10000),
    },
    limits: limits(env),
  };
}

function publicUrl(env: Env): string {
  const url = str(env, 'PUBLIC_URL') ?? `http://localhost:${str(env, 'PORT') ?? '4000'}`;
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new ConfigError('PUBLIC_URL must be an http:// or https:// URL');
  return url.replace(/\/+$/, '');
}

function smtp(env: Env): Config['smtp'] {
  const url = str(env, 'SMTP_URL');
  const from = str(env, 'SMTP_FROM') ?? 'Empress API Access <no-reply@localhost>';
  if (url === undefined) return undefined;
  if (!/^smtps?:\/\//.test(url))
    throw new ConfigError('SMTP_URL must be an smtp:// or smtps:// URL');
  return { url, from };
}

function webhooks(env: Env): Config['webhooks'] {
  const secretsKey = str(env, 'WEBHOOK_SECRETS_KEY');
  if (secretsKey !== undefined && Buffer.from(secretsKey, 'base64').length !== 32)
    throw new ConfigError(
      'WEBHOOK_SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)',
    );
  return { allowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false), secretsKey };
}

/**
 * GitHub's secret scanning keys: the key document itself (GITHUB_SECRET_SCANNING_KEYS) or a file
 * holding it (GITHUB_SECRET_SCANNING_KEYS_FILE), never both. The service never fetches it.
 */
function githubScanningKeys(env: Env): GithubScanningKey[] {
  const inline = str(env, 'GITHUB_SECRET_SCANNING_KEYS');
  const file = str(env, 'GITHUB_SECRET_SCANNING_KEYS_FILE');
  if (inline !== undefined && file !== undefined)
    throw new ConfigError(
      'GITHUB_SECRET_SCANNING_KEYS and GITHUB_SECRET_SCANNING_KEYS_FILE: set one, not both',
    );
  const name =
    file !== undefined ? 'GITHUB_SECRET_SCANNING_KEYS_FILE' : 'GITHUB_SECRET_SCANNING_KEYS';
  let text = inline;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`${name} must name a readable file`);
    }
  }
  if (text === undefined) return [];
  try {
    return parseGithubScanningKeys(text);
  } catch (error) {
    throw new ConfigError(`${name}: GitHub's key document ${(error as Error).message}`);
  }
}

/** Ceilings on what one request, one address or one team may ask of the service. */
function limits(env: Env): Config['limits'] {
  return {
    queryDepth: int(env, 'MAX_QUERY_DEPTH', 10, 1, 100),
    queryAliases: int(env, 'MAX_QUERY_ALIASES', 15, 1, 1000),
    queryTokens: int(env, 'MAX_QUERY_TOKENS', 2000, 10, 100000),
    queryCost: int(env, 'MAX_QUERY_COST', 5000, 1, 10000000),
    queryDirectives: int(env, 'MAX_QUERY_DIRECTIVES', 10, 0, 1000),
    ...loginLimits(env),
    signUpsPerAddress: int(env, 'SIGNUP_MAX_PER_ADDRESS', 10, 1, 1000000),
    signUpsTotal: int(env, 'SIGNUP_MAX_TOTAL', 100, 1, 10000000),
    signUpWindowMinutes: int(env, 'SIGNUP_WINDOW_MINUTES', 60, 1, 24 * 60),
    hashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', 2, 1, 64),
    hashQueue: int(env, 'PASSWORD_HASH_QUEUE', 32, 0, 10000),
    verifyFailures: int(env, 'VERIFY_MAX_FAILURES', 100, 1, 1000000),
    verifyWindowSeconds: int(env, 'VERIFY_WINDOW_SECONDS', 60, 1, 86400),
    securityLogRowsPerMinute: int(env, 'SECURITY_LOG_MAX_ROWS_PER_MINUTE', 1000, 1, 1000000),
    heavyWorkConnections: int(env, 'HEAVY_WORK_CONNECTIONS', 4, 1, 199),
    exportsPerTeam: int(env, 'MAX_EXPORTS_PER_TEAM', 2, 1, 100),
    leakReportsPerAddress: int(env, 'LEAK_REPORT_MAX_PER_ADDRESS', 30, 1, 1000000),
    leakReportWindowMinutes: int(env, 'LEAK_REPORT_WINDOW_MINUTES', 60, 1, 24 * 60),
  };
}

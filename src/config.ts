import { normalizeAllowedIp } from './security/ip-allowlist';

/**
 * The environment, parsed and checked once at start-up. A bad value stops the start with a
 * message that names the variable, instead of surfacing later as a confusing runtime error.
 */
export type NodeEnv = 'development' | 'production' | 'test';

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  /** unset: start the embedded PostgreSQL under dataDir */
  databaseUrl?: string;
  dataDir: string;
  allowSignup: boolean;
  bootstrapAdminEmail?: string;
  bootstrapAdminPassword?: string;
  logLevel: string;
  /** whose X-Forwarded-For is believed: false (nobody, the default), true, or a list of proxy addresses/CIDRs */
  trustProxy: boolean | string;
  redisUrl?: string;
  /** bearer token that /metrics requires; unset: /metrics is open (keep it off the public network) */
  metricsToken?: string;
  sessionTtlHours: number;
  limits: {
    queryDepth: number;
    queryAliases: number;
    queryTokens: number;
    queryCost: number;
    queryDirectives: number;
    loginFailures: number;
    loginWindowMinutes: number;
    verifyFailures: number;
    verifyWindowSeconds: number;
    /** pool connections that heavy work (chain walks, export batches, large audit pages) may hold at once, per instance */
    heavyWorkConnections: number;
    /** exports of one team's audit log that may stream at once, across instances */
    exportsPerTeam: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
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
  if (entries.some((entry) => !['loopback', 'linklocal', 'uniquelocal'].includes(entry) && !normalizeAllowedIp(entry))) {
    throw new ConfigError('TRUST_PROXY must be true, false, or a list of addresses, CIDR blocks and the presets loopback, linklocal, uniquelocal');
  }
  return entries.join(',');
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnvRaw = str(env, 'NODE_ENV') ?? 'development';
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
    port: int(env, 'PORT', 4000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: str(env, 'DATA_DIR') ?? '.data',
    allowSignup: bool(env, 'ALLOW_SIGNUP', nodeEnv !== 'production'),
    bootstrapAdminEmail,
    bootstrapAdminPassword,
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    trustProxy: trustProxy(str(env, 'TRUST_PROXY')),
    redisUrl: str(env, 'REDIS_URL'),
    metricsToken: str(env, 'METRICS_TOKEN'),
    sessionTtlHours: int(env, 'SESSION_TTL_HOURS', 12, 1, 24 * 30),
    limits: {
      queryDepth: int(env, 'MAX_QUERY_DEPTH', 10, 1, 100),
      queryAliases: int(env, 'MAX_QUERY_ALIASES', 15, 1, 1000),
      queryTokens: int(env, 'MAX_QUERY_TOKENS', 2000, 10, 100000),
      queryCost: int(env, 'MAX_QUERY_COST', 5000, 1, 10000000),
      queryDirectives: int(env, 'MAX_QUERY_DIRECTIVES', 10, 0, 1000),
      loginFailures: int(env, 'LOGIN_MAX_FAILURES', 10, 1, 10000),
      loginWindowMinutes: int(env, 'LOGIN_WINDOW_MINUTES', 15, 1, 24 * 60),
      verifyFailures: int(env, 'VERIFY_MAX_FAILURES', 100, 1, 1000000),
      verifyWindowSeconds: int(env, 'VERIFY_WINDOW_SECONDS', 60, 1, 86400),
      // below the pool's 20 connections: the rest stay free for everything else
      heavyWorkConnections: int(env, 'HEAVY_WORK_CONNECTIONS', 4, 1, 19),
      exportsPerTeam: int(env, 'MAX_EXPORTS_PER_TEAM', 2, 1, 100),
    },
  };
}

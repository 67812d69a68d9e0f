import proxyAddr from '@fastify/proxy-addr';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Services } from '../modules/services';

/**
 * Prometheus metrics of one server. Labels are bounded by the schema and the code, never by
 * client input: an operation is named by its type and first root field (mutation:createApiKey),
 * not by the client's operationName.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'empress_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'empress_graphql_operations_total',
    help: 'GraphQL operations by operation (type:first root field) and outcome (ok or the first error code)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly operationSeconds = new Histogram({
    name: 'empress_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly verifications = new Counter({
    name: 'empress_api_key_verifications_total',
    help: 'API key credential checks by path (graphql, verifyApiCredentials, authorize) and result code',
    labelNames: ['via', 'code'] as const,
    registers: [this.registry],
  });
  readonly passwordHashing = new Counter({
    name: 'empress_password_hashing_total',
    help: 'argon2 operations started (hash, verify) and refused at once because the hashing queue was full (refused)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  /** Counts what the services report (key checks, password hashing) and reads their queues and pools when scraped. */
  constructor(services: Services, dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'empress_' });
    // one labelled child per route and answer, made once: inc({ via, code }) would look the
    // labels up on every verification
    const byAnswer = new Map<string, Counter.Internal>();
    services.verifier.observer = (via, code) => {
      const name = `${via}|${code}`;
      let child = byAnswer.get(name);
      if (!child) byAnswer.set(name, (child = this.verifications.labels({ via, code })));
      child.inc();
    };
    services.passwords.observer = (event) => this.passwordHashing.inc({ event });
    this.gaugeQueues(services);
    this.gaugeConnections(services, dataSource);
  }

  /** Work waiting, and work dropped, in the services' queues. */
  private gaugeQueues(services: Services): void {
    new Gauge({
      name: 'empress_password_hashing_queue_depth',
      help: 'argon2 operations waiting for a turn',
      registers: [this.registry],
      collect() {
        this.set(services.passwords.depth);
      },
    });
    new Gauge({
      name: 'empress_audit_usage_queue_depth',
      help: 'apiKey.used rows (a key and a minute of its uses) counted and waiting to be written',
      registers: [this.registry],
      collect() {
        this.set(services.usage.depth);
      },
    });
    new Gauge({
      name: 'empress_audit_usage_dropped_total',
      help: 'key uses counted but never written (database down for more than 10 minutes)',
      registers: [this.registry],
      collect() {
        this.set(services.usage.dropped);
      },
    });
    new Gauge({
      name: 'empress_security_log_dropped_total',
      help: 'refusals counted for the security log but never written (database down for more than 10 minutes)',
      registers: [this.registry],
      collect() {
        this.set(services.securityLog.dropped);
      },
    });
  }

  /** The database pool's connections, and the heavy-work gate's places. */
  private gaugeConnections(services: Services, dataSource: DataSource): void {
    type Pool = { totalCount: number; idleCount: number; waitingCount: number };
    const pool = () => (dataSource.driver as unknown as { master?: Pool }).master;
    new Gauge({
      name: 'empress_db_pool_connections',
      help: 'Database pool: open connections, idle ones, and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set({ state: 'total' }, p?.totalCount ?? 0);
        this.set({ state: 'idle' }, p?.idleCount ?? 0);
        this.set({ state: 'waiting' }, p?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: 'empress_heavy_work_queries',
      help: 'Heavy queries (chain walks, exports, large audit pages): holding one of the HEAVY_WORK_CONNECTIONS places, and waiting for one',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { running, waiting } = services.heavyWork.load;
        this.set({ state: 'running' }, running);
        this.set({ state: 'waiting' }, waiting);
      },
    });
  }
}

/** Constant-time comparison of the Authorization header with `Bearer <token>` (digests: equal lengths). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return typeof header === 'string' && timingSafeEqual(digest(header), digest(`Bearer ${token}`));
}

const LOOPBACK = proxyAddr.compile('loopback');
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/**
 * A caller on this machine: the socket's peer is a loopback address (127.0.0.0/8, ::1, or one of
 * them mapped into IPv6), whatever TRUST_PROXY says, and the request was not forwarded for someone
 * else by a proxy on this machine (such a proxy passes on requests from anywhere).
 */
function isLocalCaller(request: FastifyRequest): boolean {
  const peer = request.socket.remoteAddress;
  return (
    peer !== undefined &&
    LOOPBACK(peer, 0) &&
    FORWARDING_HEADERS.every((name) => request.headers[name] === undefined)
  );
}

/**
 * GET /metrics in Prometheus text format. With METRICS_TOKEN set, it needs that bearer token, from
 * anywhere; without it, only callers on this machine are answered (a scraper on the same host).
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: Metrics,
  token: string | undefined,
): void {
  app.get('/metrics', async (request, reply) => {
    if (token && !bearerMatches(request.headers.authorization, token))
      return reply.code(401).send({ error: 'unauthorized' });
    if (!token && !isLocalCaller(request)) {
      return reply.code(403).send({
        error: 'forbidden',
        message: 'Without METRICS_TOKEN, /metrics answers callers on this machine only',
      });
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { migrationsApplied } from '../db/data-source';

/**
 * /healthz: the process is up (liveness). /readyz: the database answers and every migration of
 * this build is applied, and the server is not shutting down (readiness): a load balancer
 * should only send traffic on a 200.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  dataSource: DataSource,
  stopping: () => boolean = () => false,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    // shutting down: still serving what comes, but send nothing new here
    if (stopping()) return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
    try {
      await withTimeout(dataSource.query('SELECT 1'), 2_000);
      if (!(await withTimeout(migrationsApplied(dataSource), 2_000))) {
        return reply.code(503).send({ status: 'unavailable', reason: 'migrations pending' });
      }
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: Error) => (clearTimeout(timer), reject(error)),
    );
  });
}

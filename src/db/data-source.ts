import { DataSource } from 'typeorm';
import { SnakeNamingStrategy } from './naming-strategy';
import { entities } from './entities';
import { migrations } from './migrations';

export interface DataSourceOptions {
  url: string;
  /** connections in the pool of this process */
  poolSize?: number;
  applicationName?: string;
}

/**
 * The one way this code base builds a DataSource: the server, the CLI (ormconfig.ts) and the tests
 * all go through here, so they share entities, migrations and naming. Never `synchronize`: the
 * schema comes from migrations only.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    // Off: TypeORM would print a failed query's parameters (password hashes, digests). Errors
    // reach our own log through formatError, without parameters.
    logging: false,
    // A dead database must make requests fail fast, not hang on the pool.
    extra: {
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'empress-api-access',
      statement_timeout: 15_000,
    },
  });
}

/** true when every migration this build knows has been applied. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}

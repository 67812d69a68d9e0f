import 'reflect-metadata';
import { createDataSource } from './src/db/data-source';

/**
 * The DataSource for the TypeORM CLI (`npm run typeorm -- migration:show`). It needs
 * DATABASE_URL; the service itself also runs on an embedded PostgreSQL (see src/db/database.ts).
 */
export default createDataSource({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/empress',
});

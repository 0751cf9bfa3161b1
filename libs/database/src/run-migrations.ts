import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

/** Arbitrary but fixed: every process that migrates this database takes the same advisory lock. */
const MIGRATION_LOCK_ID = 7_305_001;

/**
 * Applies pending migrations while holding a session-level advisory lock, so that two
 * replicas starting together run them one after the other: the second finds nothing to do.
 * Returns the names of the migrations this call applied.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<string[]> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lockHolder.release();
  }
}

/** Opens a short-lived connection, migrates, closes. Used by `npm run migrate` and at API boot. */
export async function migrateDatabase(url: string): Promise<string[]> {
  const dataSource = new DataSource(buildDataSourceOptions({ url, poolSize: 2, applicationName: 'kalma-migrate' }));
  await dataSource.initialize();
  try {
    return await runMigrationsExclusively(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

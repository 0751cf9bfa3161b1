import { types } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

// A `date` column is a calendar date, not an instant: keep it as the 'YYYY-MM-DD' string Postgres sends.
// (The default parser makes a local-midnight Date, which shifts nights across time zones.)
const DATE_TYPE_OID = 1082;
types.setTypeParser(DATE_TYPE_OID, (value: string) => value);

export interface DatabaseSettings {
  url: string;
  poolSize: number;
  applicationName: string;
}

/** Connection settings shared by the API, the worker, the migrate script and the tests. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    // Never synchronize: the schema changes only through reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    poolSize: settings.poolSize,
    connectTimeoutMS: 5_000,
    extra: {
      application_name: settings.applicationName,
      // Bound every statement so a stuck lock surfaces as an error instead of a hung request.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}

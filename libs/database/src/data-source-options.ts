import { Logger } from '@nestjs/common';
import { ClientBase, types } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { describeError } from '#libs/observability';
import { MIGRATIONS } from './migrations';

// A `date` column is a calendar date, not an instant: keep it as the 'YYYY-MM-DD' string Postgres sends.
// (The default parser makes a local-midnight Date, which shifts nights across time zones.)
const DATE_TYPE_OID = 1082;
types.setTypeParser(DATE_TYPE_OID, (value: string) => value);

const poolLogger = new Logger('DatabasePool');

/**
 * Keeps a lost connection from crashing the process. When PostgreSQL ends a connection
 * (restart, failover, `pg_terminate_backend`), the driver emits 'error' on that client; a
 * client checked out of the pool has no listener of its own for a moment (pg-pool removes
 * its idle listener before TypeORM adds one, and a connection can be killed right as it is
 * handed out), and an 'error' event without a listener kills the process. This listener
 * stays for the client's whole life. The broken client is not reused: pg-pool discards a
 * client that is no longer queryable when it is released, and the request in flight gets
 * the error (answered 503 by the problem filter).
 */
function keepConnectionErrorsFromCrashing(client: ClientBase): void {
  client.on('error', (error: Error) => poolLogger.warn(`database connection lost: ${describeError(error)}`));
}

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
    // Never log statements: their parameters are guests' names, passport numbers and dates of birth.
    logging: false,
    poolSize: settings.poolSize,
    connectTimeoutMS: 5_000,
    extra: {
      application_name: settings.applicationName,
      // Bound every statement so a stuck lock surfaces as an error instead of a hung request.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      // No JIT compilation: this is short OLTP work, and the planner's estimates for the webhook
      // claim on a large backlog (a ban's million notifications, once analysed) pass
      // jit_above_cost, so each claim compiled ~60 functions first: 22 ms of a 27 ms claim.
      options: '-c jit=off',
      // pg-pool hook, run on every new connection before it is first handed out.
      onConnect: keepConnectionErrorsFromCrashing,
    },
    // An idle connection that dies is dropped by the pool; its own listener (above) has logged it already.
    poolErrorHandler: () => undefined,
  };
}

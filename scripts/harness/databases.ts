import { Client } from 'pg';
import { migrateDatabase } from '../../libs/database/src/run-migrations';

/**
 * Databases of the tests and benchmarks, on a server they share with others: created (empty,
 * migrated, or as a copy of a template), and dropped by name or by this run's prefix.
 */

/** Replaces the database name of a postgres URL. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Names made by the harness only ever hold these characters: they go unquoted into SQL. */
function checkedName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected database name ${JSON.stringify(name)}`);
  return name;
}

async function withAdmin<T>(serverUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Creates database `name` on the server of `serverUrl` (a copy of `template` if given: the
 * template must then have no connections) and returns its URL.
 */
export async function createDatabase(serverUrl: string, name: string, options: { template?: string } = {}): Promise<string> {
  await withAdmin(serverUrl, (admin) =>
    admin.query(`CREATE DATABASE ${checkedName(name)}${options.template ? ` TEMPLATE ${checkedName(options.template)}` : ''}`),
  );
  return withDatabase(serverUrl, name);
}

/** Creates database `name` and applies every migration to it; returns its URL. */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  const url = await createDatabase(serverUrl, name);
  await migrateDatabase(url);
  return url;
}

/** Drops database `name`, closing its connections. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${checkedName(name)} WITH (FORCE)`));
}

/** Drops every database whose name starts with `prefix` (taken literally: `_` and `%` are no wildcards here). */
export async function dropDatabasesStartingWith(serverUrl: string, prefix: string): Promise<string[]> {
  return withAdmin(serverUrl, async (admin) => {
    const pattern = `${prefix.replace(/[\\_%]/g, (character) => `\\${character}`)}%`;
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [pattern]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${checkedName(datname)} WITH (FORCE)`);
    return rows.map((row) => row.datname);
  });
}

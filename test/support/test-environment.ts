/**
 * What the global setup hands to every test file, through environment variables
 * (test workers are started after the setup and inherit them).
 */
export interface TestEnvironment {
  /** Server URL without a database name, e.g. postgres://postgres@127.0.0.1:5432 */
  postgresServerUrl: string;
  /** A migrated database that test databases are copied from. */
  templateDatabase: string;
  redisUrl: string;
  /** Unique per `npm test` run: prefixes databases and queue keys so concurrent runs never meet. */
  runId: string;
  /** Directories the setup made under the OS temporary directory (the embedded services' data); the teardown removes them. */
  temporaryDirectories: string[];
}

export const TEST_ENVIRONMENT_VARIABLE = 'KALMA_TEST_ENVIRONMENT';

export function testEnvironment(): TestEnvironment {
  const raw = process.env[TEST_ENVIRONMENT_VARIABLE];
  if (!raw) throw new Error('Run the tests through jest (the global setup prepares the databases)');
  return JSON.parse(raw) as TestEnvironment;
}

/** Replaces the database name of a postgres URL. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createDatabase } from '../../scripts/harness/databases';
import { testEnvironment } from './test-environment';

export interface TestDatabase {
  url: string;
  name: string;
  /** A small pool for assertions straight on the tables. */
  pool: Pool;
  close(): Promise<void>;
}

/** A fresh, migrated database for one test file (a copy of the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const environment = testEnvironment();
  const name = `kalma_test_${environment.runId}_${randomBytes(4).toString('hex')}`;
  // CREATE DATABASE ... TEMPLATE needs the template to be free of connections: nothing ever connects to it after the setup.
  const url = await createDatabase(environment.postgresServerUrl, name, { template: environment.templateDatabase });
  const pool = new Pool({ connectionString: url, max: 4 });
  return { url, name, pool, close: () => pool.end() };
}

/** A queue prefix no other test file uses: queues of different tests never see each other's jobs. */
export function uniqueQueuePrefix(): string {
  return `kalma-test-${testEnvironment().runId}-${randomBytes(4).toString('hex')}`;
}

import { Client } from 'pg';
import { testEnvironment } from './test-environment';

/** Drops every database this run created, then stops embedded services if the setup started them. */
export default async function globalTeardown(): Promise<void> {
  const environment = testEnvironment();
  const admin = new Client({ connectionString: environment.postgresServerUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `kalma_test_${environment.runId}_%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const services = (globalThis as { kalmaLocalServices?: { stop(): Promise<void> } }).kalmaLocalServices;
  await services?.stop();
}

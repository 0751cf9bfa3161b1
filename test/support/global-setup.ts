import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigratedDatabase, LocalServices, startLocalServices, withDatabase } from '../../scripts/harness';
import { TEST_ENVIRONMENT_VARIABLE, TestEnvironment } from './test-environment';

/** Set once the services are ready: several jest projects share this setup, which must run once per jest run. */
export const servicesReady = globalThis as { kalmaTestServicesReady?: boolean };

/**
 * Uses DATABASE_URL / REDIS_URL when set, else starts an embedded PostgreSQL and a local Redis
 * (as `npm start` does). Then migrates one template database; each test file copies it.
 * The integration, e2e and redis-cluster projects all use it; it does its work once per run.
 */
export default async function globalSetup(): Promise<void> {
  if (servicesReady.kalmaTestServicesReady) return;
  let databaseUrl = process.env.DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;
  const temporaryDirectories: string[] = [];
  let services: LocalServices | undefined;
  try {
    if (!databaseUrl || !redisUrl) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'kalma-test-'));
      temporaryDirectories.push(dataDir);
      services = await startLocalServices({ dataDir, log: (message) => process.stderr.write(`[test services] ${message}\n`) });
      (globalThis as { kalmaLocalServices?: LocalServices }).kalmaLocalServices = services;
      databaseUrl ??= services.databaseUrl;
      redisUrl ??= services.redisUrl;
    }

    const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const templateDatabase = `kalma_test_${runId}_template`;
    await createMigratedDatabase(databaseUrl, templateDatabase);

    const environment: TestEnvironment = {
      postgresServerUrl: withDatabase(databaseUrl, 'postgres'),
      templateDatabase,
      redisUrl,
      runId,
      temporaryDirectories,
    };
    process.env[TEST_ENVIRONMENT_VARIABLE] = JSON.stringify(environment);
    servicesReady.kalmaTestServicesReady = true;
  } catch (error) {
    // Jest runs no global teardown when the setup fails: stop and remove here what the setup made.
    await services?.stop().catch(() => undefined);
    for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

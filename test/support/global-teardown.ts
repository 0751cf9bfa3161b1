import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deleteRedisKeys, dropDatabasesStartingWith } from '../../scripts/harness';
import { servicesReady } from './global-setup';
import { testEnvironment } from './test-environment';

/**
 * Leaves nothing of this run behind, and touches nothing of another's (other runs and
 * deployments may share the PostgreSQL server and the Redis): drops the databases and deletes
 * the Redis keys whose names carry this run's id, stops the embedded services if the setup
 * started them, then removes the temporary directories the setup recorded. Every step runs
 * even when an earlier one failed; the first error is reported at the end. Shared by several jest
 * projects, as the setup: it does its work once, after the setup did.
 */
export default async function globalTeardown(): Promise<void> {
  if (!servicesReady.kalmaTestServicesReady) return;
  servicesReady.kalmaTestServicesReady = false;
  const environment = testEnvironment();
  // The run id goes into a LIKE pattern and a Redis glob: it must hold no wildcard of either.
  if (!/^[0-9a-z]+$/.test(environment.runId)) throw new Error(`unexpected test run id ${JSON.stringify(environment.runId)}`);
  const errors: unknown[] = [];
  const step = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      errors.push(error);
    }
  };

  await step(async () => void (await dropDatabasesStartingWith(environment.postgresServerUrl, `kalma_test_${environment.runId}_`)));
  // Queue prefixes are `kalma-test-<runId>-<random>` (uniqueQueuePrefix), and specs that use Redis
  // directly write under `kalma-test-<runId>:`. The separator is part of the pattern:
  // `kalma-test-<runId>*` alone would also match another run whose id merely starts with this one.
  await step(async () => void (await deleteRedisKeys(environment.redisUrl, `kalma-test-${environment.runId}[-:]*`)));
  await step(async () => {
    const services = (globalThis as { kalmaLocalServices?: { stop(): Promise<void> } }).kalmaLocalServices;
    await services?.stop();
  });
  await step(async () => {
    for (const directory of environment.temporaryDirectories) removeTemporaryDirectory(directory);
  });
  if (errors.length > 0) throw errors[0];
}

/** Removes a directory the setup made, after checking it is one: a `kalma-test-` directory right under the OS temporary directory. */
function removeTemporaryDirectory(directory: string): void {
  const resolved = path.resolve(directory);
  if (path.dirname(resolved) !== path.resolve(tmpdir()) || !path.basename(resolved).startsWith('kalma-test-')) {
    throw new Error(`refusing to remove ${resolved}: not a kalma-test- directory of the OS temporary directory`);
  }
  rmSync(resolved, { recursive: true, force: true });
}

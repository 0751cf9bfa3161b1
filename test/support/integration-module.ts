import type { ModuleMetadata, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditOrigin } from '#libs/audit';
import { AppConfig, ConfigModule, loadConfig } from '#libs/config';
import { DatabaseModule } from '#libs/database';
import { JobsModule } from '#libs/jobs';
import { ObservabilityModule } from '#libs/observability';
import { ClockModule } from '#libs/shared';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix } from './test-database';
import { testEnvironment, testRedisClusterNodes } from './test-environment';

export interface IntegrationModule {
  /** The Nest testing module, initialised (lifecycle hooks ran): `get` the services from it. */
  module: TestingModule;
  get<T>(type: Type<T>): T;
  /** The module's own database (a fresh copy of the migrated template) and a pool for assertions. */
  database: TestDatabase;
  /** TypeORM's data source, as the services use it. */
  dataSource: DataSource;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * The integration tier's module: `imports` (the domain modules under test) with the production
 * ClockModule, ConfigModule, DatabaseModule (TypeORM on a database of this suite's own), JobsModule (BullMQ
 * queues on the run's Redis, under a queue prefix of its own) and ObservabilityModule, as the
 * API and the worker compose them. No HTTP and no processes: the services are called directly.
 */
export async function startIntegrationModule(
  imports: NonNullable<ModuleMetadata['imports']>,
  options: { env?: Record<string, string> } = {},
): Promise<IntegrationModule> {
  const database = await createTestDatabase();
  const redisClusterNodes = testRedisClusterNodes();
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: testEnvironment().redisUrl,
    ...(redisClusterNodes ? { REDIS_CLUSTER_NODES: redisClusterNodes } : {}),
    QUEUE_PREFIX: uniqueQueuePrefix(),
    ...options.env,
  });
  let module: TestingModule | undefined;
  try {
    module = await Test.createTestingModule({
      imports: [ClockModule, ConfigModule, DatabaseModule, JobsModule, ObservabilityModule, ...imports],
    })
      .overrideProvider(AppConfig)
      .useValue(config)
      .compile();
    // Nest's own logger is quiet: a suite's output is its results.
    module.useLogger(false);
    await module.init();
  } catch (error) {
    await module?.close().catch(() => undefined);
    await database.close();
    throw error;
  }
  const started = module;
  return {
    module: started,
    get: (type) => started.get(type, { strict: false }),
    database,
    dataSource: started.get<DataSource>(getDataSourceToken()),
    config,
    async close() {
      await started.close();
      await database.close();
    },
  };
}

/** Who the audit trail says made a change in these suites: an operations key, on a request. */
export const operationsOrigin = (requestId = 'integration-request'): AuditOrigin => ({
  actor: { type: 'api_key', keyId: '00000000-0000-4000-8000-00000000000a', role: 'operations', agencyId: null },
  cause: { type: 'request' },
  requestId,
});

import { randomBytes } from 'node:crypto';
import { createTestDatabase, TestDatabase, uniqueQueuePrefix } from './test-database';
import { testEnvironment, testRedisClusterNodes } from './test-environment';
import { KalmaClient } from './kalma-client';
import { ApiProcess, ServiceProcess, startApi, startWorker } from './service-processes';

export interface KalmaStack {
  database: TestDatabase;
  env: Record<string, string>;
  apis: ApiProcess[];
  workers: ServiceProcess[];
  /** A client with the operations key, against the first API. */
  operations: KalmaClient;
  operationsKey: string;
  /** Starts one more API; `extraEnv` overrides the stack's environment for it alone. */
  startApi(extraEnv?: Record<string, string>): Promise<ApiProcess>;
  startWorker(): ServiceProcess;
  stop(): Promise<void>;
}

/**
 * A running Kalma for one test file: its own database and queue prefix, `apiCount` API
 * processes and `workerCount` workers, built from `dist/` exactly as production runs them.
 */
export async function startKalmaStack(
  options: { apiCount?: number; workerCount?: number; env?: Record<string, string> } = {},
): Promise<KalmaStack> {
  const database = await createTestDatabase();
  // In the redis-cluster jest project, every process of the stack uses the cluster instead.
  const redisClusterNodes = testRedisClusterNodes();
  const operationsKey = `test-ops-${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: testEnvironment().redisUrl,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    ...(redisClusterNodes ? { REDIS_CLUSTER_NODES: redisClusterNodes } : {}),
    BOOTSTRAP_OPERATIONS_KEY: operationsKey,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    RATE_LIMIT_PER_MINUTE: '100000',
    // Suites refuse bad keys on purpose, all from 127.0.0.1: only the suite about it limits them.
    AUTH_FAILURES_PER_MINUTE: '100000',
    DATABASE_POOL_SIZE: '10',
    // Several workers (and test files) run at once: no fixed metrics port unless a test asks for one.
    WORKER_METRICS_PORT: '0',
    ...options.env,
  };
  const stack: KalmaStack = {
    database,
    env,
    apis: [],
    workers: [],
    operations: undefined as unknown as KalmaClient,
    operationsKey,
    async startApi(extraEnv = {}) {
      const api = await startApi({ ...env, ...extraEnv });
      stack.apis.push(api);
      return api;
    },
    startWorker() {
      const worker = startWorker(env);
      stack.workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all([...stack.apis, ...stack.workers].map((handle) => handle.stop()));
      await database.close();
    },
  };
  try {
    // Started one after the other: the first applies the migrations (already applied here, via the template).
    for (let index = 0; index < (options.apiCount ?? 1); index++) await stack.startApi();
    for (let index = 0; index < (options.workerCount ?? 0); index++) stack.startWorker();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  stack.operations = new KalmaClient(stack.apis[0].baseUrl, operationsKey);
  return stack;
}

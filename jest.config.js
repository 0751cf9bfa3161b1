/**
 * Three tiers, plus the Redis Cluster re-run:
 *  - `unit`: `*.spec.ts` beside the code in libs/ and apps/; no PostgreSQL, no Redis, no global
 *    setup (`npm run test:unit` runs in seconds with both stopped).
 *  - `integration`: `*.integration-spec.ts` (test/integration/, or beside the code): a Nest testing
 *    module with the real DatabaseModule/TypeORM on its own PostgreSQL database and the real queues on Redis.
 *  - `e2e`: the `*.e2e-spec.ts` suites of test/, the built API and worker spawned from dist/ (`npm run build` first).
 *  - `redis-cluster`: a chosen few e2e suites again on a Redis Cluster (`npm run test:cluster`).
 * `integration`, `e2e` and `redis-cluster` share one global setup (PostgreSQL, Redis, the migrated
 * template database): it runs once per jest run, whichever of them are selected.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

/** NestJS 12 ships ES modules only; Jest's CommonJS runtime (on Node 20) needs them compiled to CommonJS. */
const swcForEsmPackages = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

/** What every project shares. */
const project = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, '^.+\\.m?js$': swcForEsmPackages },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^#libs/(.*)$': '<rootDir>/libs/$1/src' },
};

/**
 * The suites that run a second time with every process on a Redis Cluster (3 primaries and 3
 * replicas on loopback, started by the project's global setup): bookings, hold expiry, ban
 * enforcement, webhooks, rate limits; and the failover suite, which runs only there.
 */
const redisClusterSuites = ['bookings-concurrency', 'holds', 'restrictions', 'webhooks', 'rate-limits', 'redis-cluster'].map(
  (name) => `<rootDir>/test/${name}.e2e-spec.ts`,
);

/** PostgreSQL (and a Redis) and the migrated template database, for every tier that uses them; run once per jest run. */
const services = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  projects: [
    {
      ...project,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...project,
      ...services,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,apps,test}/**/*.integration-spec.ts'],
    },
    {
      ...project,
      ...services,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/redis-cluster.e2e-spec.ts'],
    },
    {
      ...project,
      displayName: 'redis-cluster',
      testMatch: redisClusterSuites,
      // Read by test/support/test-environment.ts: the stacks of these files use the cluster.
      globals: { kalmaRedisCluster: true },
      // The general setup first (PostgreSQL, Redis, the template database), then the cluster.
      globalSetup: '<rootDir>/test/support/redis-cluster-setup.ts',
      globalTeardown: '<rootDir>/test/support/redis-cluster-teardown.ts',
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};

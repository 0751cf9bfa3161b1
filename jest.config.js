/**
 * Unit specs live beside the code (`*.spec.ts`); end-to-end suites in `test/` (`*.e2e-spec.ts`).
 * Project `default` runs them all against REDIS_URL; project `redis-cluster` runs a chosen few
 * again on a Redis Cluster (`npx jest --selectProjects redis-cluster` for those alone).
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

/** What both projects share. */
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

module.exports = {
  projects: [
    {
      ...project,
      displayName: 'default',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/redis-cluster.e2e-spec.ts'],
    },
    {
      ...project,
      displayName: 'redis-cluster',
      testMatch: redisClusterSuites,
      // Read by test/support/test-environment.ts: the stacks of these files use the cluster.
      globals: { kalmaRedisCluster: true },
      globalSetup: '<rootDir>/test/support/redis-cluster-setup.ts',
      globalTeardown: '<rootDir>/test/support/redis-cluster-teardown.ts',
    },
  ],
  // PostgreSQL (and a Redis) and the migrated template database, for both projects.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

/**
 * The process harness shared by the tests (test/support), the benchmarks (bench/support) and
 * `npm start` (scripts/start-all.ts): free ports, child processes and their stopping, the built
 * API and worker and their health, PostgreSQL and Redis on this machine, databases made and
 * dropped, and the one polling helper. Runs from dist/ (benchmarks, scripts) and from its
 * TypeScript source under jest.
 */
export * from './applications';
export * from './databases';
export * from './local-services';
export * from './polling';
export * from './ports';
export * from './processes';
export * from './project-root';
export * from './redis';

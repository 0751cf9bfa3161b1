import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Container health checks (docker-compose.yml), in Node because node:20-slim has no curl.
 *
 *   node dist/scripts/healthcheck.js api     GET http://127.0.0.1:$PORT/health answers 200
 *   node dist/scripts/healthcheck.js worker  the worker's PostgreSQL and Redis answer
 *
 * The worker serves no HTTP, so its check is that what it depends on is reachable from its
 * container with its configuration; a crashed worker is caught by its container exiting.
 * Exit code 0 means healthy.
 */

const TIMEOUT_MILLISECONDS = 4_000;

async function checkApi(): Promise<void> {
  const port = process.env.PORT || '3000';
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(TIMEOUT_MILLISECONDS) });
  if (response.status !== 200) throw new Error(`GET /health answered ${response.status}`);
}

async function checkWorker(): Promise<void> {
  const database = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: TIMEOUT_MILLISECONDS });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: TIMEOUT_MILLISECONDS,
  });
  redis.on('error', () => undefined); // reported through the rejected calls
  try {
    await database.connect();
    await database.query('SELECT 1');
    await redis.connect();
    await redis.ping();
  } finally {
    await database.end().catch(() => undefined);
    redis.disconnect();
  }
}

const checks: Record<string, () => Promise<void>> = { api: checkApi, worker: checkWorker };
const check = checks[process.argv[2] ?? ''];
if (!check) {
  console.error('usage: node dist/scripts/healthcheck.js api|worker');
  process.exit(2);
}
check().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

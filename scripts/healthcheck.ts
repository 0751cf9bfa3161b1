/**
 * Container health checks (docker-compose.yml), in Node because node:20-slim has no curl.
 *
 *   node dist/scripts/healthcheck.js api     GET http://127.0.0.1:$PORT/health answers 200
 *   node dist/scripts/healthcheck.js worker  GET http://127.0.0.1:$WORKER_METRICS_PORT/metrics answers 200
 *
 * The worker serves no API; its metrics listener starts once the application context has
 * bootstrapped (queues connected, processors registered) and stops when it shuts down, so it
 * answering is the worker's liveness. Exit code 0 means healthy.
 */

export {}; // a module, not a script: its names stay out of the global scope

const TIMEOUT_MILLISECONDS = 4_000;

const endpoints: Record<string, () => string> = {
  api: () => `http://127.0.0.1:${process.env.PORT || 3000}/health`,
  worker: () => `http://127.0.0.1:${process.env.WORKER_METRICS_PORT || 9464}/metrics`,
};

async function check(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MILLISECONDS) });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
}

const endpoint = endpoints[process.argv[2] ?? ''];
if (!endpoint) {
  console.error('usage: node dist/scripts/healthcheck.js api|worker');
  process.exit(2);
}
check(endpoint()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureDemoData, formatBanner, loadOrCreateOperationsKey, readDemoData, type DemoData } from './demo-data';
import {
  applicationEntry,
  HealthWaitError,
  isPortFree,
  projectRoot as findProjectRoot,
  spawnApplication,
  startLocalServices,
  waitForHealth as waitUntilHealthy,
  type ApplicationName,
  type LocalServices,
  type ManagedProcess,
  type ProcessExit,
} from './harness';

/**
 * `npm start`: all of Kalma on one machine with nothing configured.
 *
 *  1. PostgreSQL and Redis: DATABASE_URL and REDIS_URL if both are set, else local ones kept in
 *     KALMA_DATA_DIR (default `.kalma-data` in the project root).
 *  2. The API, which migrates the database at boot; once GET /health answers 200, the worker
 *     (started after the migrations so that it never sees an old schema).
 *  3. Demo agencies and agent keys, once per data directory, and a banner saying how to use them.
 *
 * Ctrl-C or SIGTERM stops the API and the worker, then the database and Redis, and exits 0.
 * If the API or the worker dies on its own, everything stops and the exit code is 1.
 *
 * Runs from dist/scripts/start-all.js (`npm run build` first).
 */

const projectRoot = findProjectRoot();
const API_ENTRY = applicationEntry('api');
const WORKER_ENTRY = applicationEntry('worker');
const DEFAULT_PORT = 3000;
const HEALTH_TIMEOUT_MILLISECONDS = Number(process.env.KALMA_HEALTH_TIMEOUT_SECONDS ?? 120) * 1000;
/** How long the API and the worker get to finish in-flight requests and jobs before SIGKILL. */
const APPLICATION_STOP_TIMEOUT_MILLISECONDS = 10_000;

/** Everything started so far, for the shutdown to stop. */
const running: {
  services?: Promise<LocalServices>;
  api?: ManagedProcess;
  worker?: ManagedProcess;
} = {};
let shutdown: Promise<void> | undefined;

/** Thrown by the start-up when a shutdown began meanwhile: nothing more may be started. */
class ShutdownInProgress extends Error {}

function log(message: string): void {
  console.log(`[kalma] ${message}`);
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutDown(0, `received ${signal}`));
  }
  try {
    await start();
  } catch (error) {
    if (shutdown) return; // the start-up was cut short by a shutdown, which ends the process
    console.error('[kalma] start-up failed:', error);
    await shutDown(1, 'start-up failed');
  }
}

async function start(): Promise<void> {
  const dataDir = path.resolve(process.env.KALMA_DATA_DIR || path.join(projectRoot, '.kalma-data'));
  await mkdir(dataDir, { recursive: true });
  for (const entry of [API_ENTRY, WORKER_ENTRY]) {
    if (!existsSync(entry)) throw new Error(`${path.relative(projectRoot, entry)} is missing: run \`npm run build\` first.`);
  }
  const port = Number(process.env.PORT || DEFAULT_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port number, not "${process.env.PORT}".`);
  if (!(await isPortFree(port))) throw new Error(`Port ${port} is already in use: stop whatever uses it, or set PORT.`);

  const { databaseUrl, redisUrl } = await backingServices(dataDir);
  const operationsKey = process.env.BOOTSTRAP_OPERATIONS_KEY || (await loadOrCreateOperationsKey(dataDir));
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    PORT: String(port),
    // The demo's agencies may point their webhooks at a receiver on this machine.
    WEBHOOK_ALLOW_PRIVATE_URLS: process.env.WEBHOOK_ALLOW_PRIVATE_URLS ?? 'true',
    BOOTSTRAP_OPERATIONS_KEY: operationsKey,
    LOG_FORMAT: logFormat(),
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  running.api = startApplication('API', 'api', environment);
  await waitForHealth(baseUrl, running.api);
  running.worker = startApplication('worker', 'worker', environment);

  let demo: DemoData | undefined;
  try {
    demo = await ensureDemoData({ baseUrl, operationsKey, dataDir, log });
  } catch (error) {
    // The API still runs and is useful without (all of) the demo data; say what is missing.
    log(`could not seed the demo data: ${error instanceof Error ? error.message : String(error)}`);
    demo = await readDemoData(dataDir);
  }
  if (shutdown) return;
  console.log(
    formatBanner({
      publicUrl: `http://localhost:${port}`,
      dataDir,
      operationsKey,
      demo,
      resortTimeZone: process.env.RESORT_TIMEZONE || 'Asia/Pyongyang',
    }),
  );
}

/** DATABASE_URL and REDIS_URL from the environment, local servers for whichever is missing. */
async function backingServices(dataDir: string): Promise<{ databaseUrl: string; redisUrl: string }> {
  const { DATABASE_URL: configuredDatabaseUrl, REDIS_URL: configuredRedisUrl } = process.env;
  if (configuredDatabaseUrl && configuredRedisUrl) {
    log('using DATABASE_URL and REDIS_URL from the environment');
    return { databaseUrl: configuredDatabaseUrl, redisUrl: configuredRedisUrl };
  }
  log(`starting PostgreSQL and Redis in ${dataDir}`);
  running.services = startLocalServices({ dataDir, log });
  const services = await running.services;
  if (shutdown) throw new ShutdownInProgress();
  return {
    databaseUrl: configuredDatabaseUrl || services.databaseUrl,
    redisUrl: configuredRedisUrl || services.redisUrl,
  };
}

/**
 * LOG_FORMAT if set; else pretty lines when a person watches (stdout is a terminal, not CI) and
 * JSON when the output goes to a pipe or a file (log shippers, the smoke test, CI). The API and
 * the worker write straight to this process's stdout, so the choice is the same for both.
 */
function logFormat(): string {
  if (process.env.LOG_FORMAT) return process.env.LOG_FORMAT;
  return process.stdout.isTTY && !process.env.CI ? 'pretty' : 'json';
}

function startApplication(name: string, application: ApplicationName, environment: NodeJS.ProcessEnv): ManagedProcess {
  if (shutdown) throw new ShutdownInProgress();
  log(`starting the ${name}`);
  const child = spawnApplication(application, { name, env: environment, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  void child.exited.then((exit) => {
    if (shutdown) return;
    log(`the ${name} exited unexpectedly (${describeExit(exit)})`);
    void shutDown(1, `the ${name} stopped`);
  });
  return child;
}

async function waitForHealth(baseUrl: string, api: ManagedProcess): Promise<void> {
  try {
    await waitUntilHealthy(baseUrl, api, { timeoutMs: HEALTH_TIMEOUT_MILLISECONDS, intervalMs: 500, requestTimeoutMs: 2_000 });
  } catch (error) {
    if (!(error instanceof HealthWaitError)) throw error;
    if (error.reason === 'exited') throw new Error('The API exited before it became healthy (its output is above).', { cause: error });
    throw new Error(
      `The API did not answer GET ${baseUrl}/health with 200 within ${HEALTH_TIMEOUT_MILLISECONDS / 1000} s ` +
        `(last: ${error.lastAnswer}). Set KALMA_HEALTH_TIMEOUT_SECONDS to wait longer.`,
      { cause: error },
    );
  }
  log(`the API is healthy at ${baseUrl}`);
}

/** Stops the applications first (they drain into the database), then the local services, then exits. */
function shutDown(exitCode: number, reason: string): Promise<void> {
  if (shutdown) {
    log(`${reason}: already stopping`);
    return shutdown;
  }
  log(`${reason}: stopping`);
  shutdown = (async () => {
    let code = exitCode;
    try {
      await Promise.all([
        running.api?.stop(APPLICATION_STOP_TIMEOUT_MILLISECONDS),
        running.worker?.stop(APPLICATION_STOP_TIMEOUT_MILLISECONDS),
      ]);
      // Local services that are still starting are stopped once they are up.
      const services = await running.services?.catch(() => undefined);
      await services?.stop();
    } catch (error) {
      console.error('[kalma] shutdown failed:', error);
      code = code || 1;
    }
    log(`stopped (exit code ${code})`);
    process.exit(code);
  })();
  return shutdown;
}

function describeExit(exit: ProcessExit): string {
  if (exit.error) return exit.error.message;
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

void main();

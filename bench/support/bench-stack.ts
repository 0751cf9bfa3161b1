import { ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import {
  createMigratedDatabase,
  deleteRedisKeys as deleteKeys,
  dropDatabase,
  freePort,
  spawnApplication,
  waitForHealth,
  withDatabase,
  type ApplicationName,
  type ManagedProcess,
} from '../../scripts/harness';

export { withDatabase };

/**
 * A throwaway Kalma for a benchmark: its own database on the server of DATABASE_URL
 * (default: the local PostgreSQL), the built API and worker processes from dist/, and
 * everything dropped again at the end.
 */

export interface BenchStack {
  databaseUrl: string;
  databaseName: string;
  pool: Pool;
  operationsKey: string;
  apiUrls: string[];
  env: Record<string, string>;
  processes: ChildProcess[];
  startWorker(): ChildProcess;
  /** Stops the API and worker processes (their connections close); the database stays. */
  stopProcesses(): Promise<void>;
  /** Stops the processes and drops the database. */
  stop(): Promise<void>;
}

export function serverUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=profiles") is passed to the api and worker processes, for profiling under load. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

function startProcess(application: ApplicationName, env: Record<string, string>): ManagedProcess {
  return spawnApplication(application, {
    env: { PATH: process.env.PATH ?? '', ...env },
    nodeArgs: NODE_ARGS,
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: false,
  });
}

export async function startBenchStack(options: {
  apiProcesses: number;
  workers?: number;
  env?: Record<string, string>;
}): Promise<BenchStack> {
  const databaseName = `kalma_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createMigratedDatabase(serverUrl(), databaseName);

  const operationsKey = `bench-ops-${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `kalma-${databaseName}`,
    BOOTSTRAP_OPERATIONS_KEY: operationsKey,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    MIGRATE_ON_BOOT: 'false',
    ...options.env,
  };
  const handles: ManagedProcess[] = [];
  const processes: ChildProcess[] = [];
  const apiUrls: string[] = [];
  for (let index = 0; index < options.apiProcesses; index++) {
    const port = await freePort();
    const api = startProcess('api', { ...env, PORT: String(port) });
    handles.push(api);
    processes.push(api.child);
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(apiUrls.map((url, index) => waitForHealth(url, handles[index], { timeoutMs: 60_000, intervalMs: 200 })));
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });

  const stack: BenchStack = {
    databaseUrl,
    databaseName,
    pool,
    operationsKey,
    apiUrls,
    env,
    processes,
    startWorker() {
      const worker = startProcess('worker', env);
      handles.push(worker);
      processes.push(worker.child);
      return worker.child;
    },
    async stopProcesses() {
      await Promise.all(handles.map((handle) => handle.stop(10_000)));
    },
    async stop() {
      await stack.stopProcesses();
      await pool.end();
      await dropDatabase(serverUrl(), databaseName);
      await deleteRedisKeys(env.REDIS_URL, `${env.QUEUE_PREFIX}:*`);
    },
  };
  for (let index = 0; index < (options.workers ?? 0); index++) stack.startWorker();
  return stack;
}

/** The bench's queues and rate-limit counters (its own QUEUE_PREFIX), deleted with SCAN, never KEYS. */
async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  try {
    await deleteKeys(redisUrl, pattern);
  } catch (error) {
    console.error(`could not delete the bench's Redis keys (${pattern}): ${(error as Error).message}`);
  }
}

/**
 * After a benchmark: every night's `reserved` equals the guests of the live bookings that
 * include it (and stays within capacity), and every flight's `seats_reserved` the guests of the
 * live bookings on it (within its seats).
 */
export async function invariantsHold(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query(`
    WITH live AS (
      SELECT night::date AS date, sum(guest_count) AS guests
        FROM bookings, generate_series(check_in, check_out - 1, interval '1 day') AS night
       WHERE status IN ('held', 'confirmed') GROUP BY 1),
    taken AS (
      SELECT flight_id, sum(guest_count) AS guests FROM (
        SELECT outbound_flight_id AS flight_id, guest_count FROM bookings WHERE status IN ('held', 'confirmed') AND outbound_flight_id IS NOT NULL
        UNION ALL
        SELECT return_flight_id, guest_count FROM bookings WHERE status IN ('held', 'confirmed') AND return_flight_id IS NOT NULL) AS segment
      GROUP BY flight_id)
    SELECT (SELECT count(*) FROM nights n FULL JOIN live l ON l.date = n.date
             WHERE COALESCE(n.reserved, 0) <> COALESCE(l.guests, 0) OR n.reserved > n.capacity)
         + (SELECT count(*) FROM flights f LEFT JOIN taken t ON t.flight_id = f.id
             WHERE f.seats_reserved <> COALESCE(t.guests, 0) OR f.seats_reserved > f.seats) AS mismatches`);
  return Number(rows[0].mismatches) === 0;
}

/** POST/GET helper for setting a bench up through the public API. */
export async function call(baseUrl: string, key: string, method: string, urlPath: string, body?: unknown): Promise<any> {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export function resortToday(timeZone = 'Asia/Pyongyang'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Resident memory of a process in MB, from /proc (Linux); null where that is not available. */
function residentMegabytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every common Linux). */
let clockTicksPerSecond: number | undefined;
function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); null where that is not available. */
function cpuMillisecondsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * Every process of the PostgreSQL server behind `pool` (backends, WAL writer, checkpointer…: a
 * commit's cost is not all in its backend), if that server runs on this machine: a pid it
 * reports counts only where this machine's process of that pid is a `postgres` one.
 */
export async function localPostgresPids(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query(`SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()`);
  return rows
    .map((row: { pid: number }) => row.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
      } catch {
        return false;
      }
    });
}

/**
 * CPU time used by a set of processes between `start` and `stop()`, in ms. `pids` is asked at
 * both ends: a process that appears by the end (a new pool connection's backend) counts all its
 * CPU time, one that exits meanwhile is left out. Null if none could be read (not Linux, or the
 * processes are on another machine).
 */
export async function measureCpu(pids: () => number[] | Promise<number[]>): Promise<{ stop: () => Promise<number | null> }> {
  const before = new Map((await pids()).map((pid) => [pid, cpuMillisecondsOf(pid)]));
  return {
    stop: async () => {
      let total: number | null = null;
      for (const pid of await pids()) {
        const now = cpuMillisecondsOf(pid);
        if (now === null) continue;
        const started = before.has(pid) ? before.get(pid) : 0;
        if (started !== null && started !== undefined) total = (total ?? 0) + now - started;
      }
      return total;
    },
  };
}

/**
 * Samples the resident memory of the given processes every 250 ms until `stop()`, which returns
 * the peak of each (MB, in the order given; null where it could not be read).
 */
export function sampleResidentMemory(processes: ChildProcess[]): { stop: () => (number | null)[] } {
  const peaks: (number | null)[] = processes.map(() => null);
  const sample = (): void => {
    processes.forEach((child, index) => {
      const megabytes = residentMegabytes(child.pid);
      if (megabytes !== null) peaks[index] = Math.max(peaks[index] ?? 0, megabytes);
    });
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

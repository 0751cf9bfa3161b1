import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import {
  freePort,
  HealthWaitError,
  spawnApplication,
  spawnManagedProcess,
  waitFor,
  waitForHealth,
  type ApplicationName,
  type ManagedProcess,
} from '../../scripts/harness';

export { freePort };

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process printed so far (JSON log lines). */
  output(): string;
  /** SIGTERM and wait; SIGKILL after `timeoutMs`. Resolves with the exit code (null if killed). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: the process dies mid-work, as in a crash. */
  kill(): Promise<void>;
}

/** A harness process as the suites use it: a plain child of the test worker, its output collected. */
function serviceProcess(managed: ManagedProcess): ServiceProcess {
  return {
    child: managed.child,
    output: () => managed.output(),
    stop: async (timeoutMs = 15_000) => (await managed.stop(timeoutMs)).code,
    kill: async () => void (await managed.kill()),
  };
}

export function startProcess(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): ServiceProcess {
  return serviceProcess(
    spawnManagedProcess({ name: command, command, args, cwd: options.cwd, env: options.env, captureOutput: true, detached: false }),
  );
}

export interface ApiProcess extends ServiceProcess {
  baseUrl: string;
}

/** Starts the built API (`dist/`) and waits until /health answers 200. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const managed = startApplication('api', { ...env, PORT: String(port) });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, managed, { timeoutMs: 30_000, intervalMs: 100 });
  } catch (error) {
    if (!(error instanceof HealthWaitError)) throw error;
    if (error.reason === 'exited') throw new Error(`API exited during start:\n${managed.output()}`, { cause: error });
    await managed.kill();
    throw new Error(`API did not become healthy:\n${managed.output()}`, { cause: error });
  }
  return { ...serviceProcess(managed), baseUrl };
}

/** Starts the built worker (`dist/`). */
export function startWorker(env: Record<string, string>): ServiceProcess {
  return serviceProcess(startApplication('worker', env));
}

function startApplication(application: ApplicationName, env: Record<string, string>): ManagedProcess {
  return spawnApplication(application, {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    captureOutput: true,
    detached: false,
  });
}

export interface RedisServerProcess extends ServiceProcess {
  port: number;
  url: string;
}

/**
 * Starts a private `redis-server` (it must be on the PATH) on `port`, or a free one, and waits
 * until it accepts connections. Nothing is persisted (no RDB snapshots, no AOF), so a server
 * started again on the same port after a kill is empty: a Redis restarted and flushed. For fault
 * tests that must not disturb the Redis the other test files share.
 */
export async function startRedisServer(port?: number): Promise<RedisServerProcess> {
  const chosenPort = port ?? (await freePort());
  const server = startProcess('redis-server', ['--port', String(chosenPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    // It writes nothing, but a working directory of its own keeps it away from the project if it ever did.
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '' },
  });
  // Its own log line, not a PING: a PING could be answered by another server already on the port.
  await waitForOutput(server, 'Ready to accept connections', `redis-server on port ${chosenPort}`);
  return { ...server, port: chosenPort, url: `redis://127.0.0.1:${chosenPort}` };
}

/** Waits until `server` printed `text`; kills it and fails (with its output) if it exits first or after `timeoutMs`. */
export async function waitForOutput(server: ServiceProcess, text: string, what: string, timeoutMs = 10_000): Promise<void> {
  const exited = () => server.child.exitCode !== null || server.child.signalCode !== null;
  const ready = await waitFor(
    () => (server.output().includes(text) ? 'ready' : exited() ? 'exited' : 'starting'),
    (state) => state !== 'starting',
    { timeoutMs, intervalMs: 50, onTimeout: 'return-last' },
  );
  if (ready !== 'ready') {
    await server.kill();
    throw new Error(`${what} did not start:\n${server.output()}`);
  }
}

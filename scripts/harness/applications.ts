import path from 'node:path';
import type { StdioOptions } from 'node:child_process';
import { NODE_RUNTIME_FLAGS } from '../../libs/config/src/node-runtime-flags';
import { waitFor } from './polling';
import { spawnManagedProcess, type ManagedProcess } from './processes';
import { projectRoot } from './project-root';

/** The built entrypoints, as production runs them (`npm run build` makes them). */
export const APPLICATION_ENTRIES = {
  api: path.join('dist', 'apps', 'api', 'src', 'main.js'),
  worker: path.join('dist', 'apps', 'worker', 'src', 'main.js'),
} as const;

export type ApplicationName = keyof typeof APPLICATION_ENTRIES;

export function applicationEntry(application: ApplicationName): string {
  return path.join(projectRoot(), APPLICATION_ENTRIES[application]);
}

export interface ApplicationOptions {
  /** The whole environment of the process (nothing is inherited); the API's PORT goes in here. */
  env: NodeJS.ProcessEnv;
  /** Node options before the entrypoint, after the runtime flags every Kalma process gets. */
  nodeArgs?: string[];
  /** A name for messages; default `API` / `worker`. */
  name?: string;
  /** See ManagedProcessOptions: `npm start` detaches its children, tests and benchmarks do not. */
  detached?: boolean;
  captureOutput?: boolean;
  stdio?: StdioOptions;
}

/** Starts the built API or worker from dist/ in the project root (it does not wait for anything). */
export function spawnApplication(application: ApplicationName, options: ApplicationOptions): ManagedProcess {
  return spawnManagedProcess({
    name: options.name ?? (application === 'api' ? 'API' : 'worker'),
    command: process.execPath,
    args: [...NODE_RUNTIME_FLAGS, ...(options.nodeArgs ?? []), applicationEntry(application)],
    cwd: projectRoot(),
    env: options.env,
    stdio: options.stdio,
    captureOutput: options.captureOutput,
    detached: options.detached,
    stopSignal: 'SIGTERM',
  });
}

/** Why an API did not become healthy: it exited first, or the time ran out (`lastAnswer`: what /health said last). */
export class HealthWaitError extends Error {
  constructor(
    readonly reason: 'exited' | 'timeout',
    readonly lastAnswer: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HealthWaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Each request's own limit (none by default). */
  requestTimeoutMs?: number;
}

/** Waits until `GET <baseUrl>/health` answers 200; rejects with a HealthWaitError if `process` exits first or the time runs out. */
export async function waitForHealth(baseUrl: string, process: ManagedProcess, options: HealthWaitOptions): Promise<void> {
  type Answer = { healthy: boolean; answer: string };
  await waitFor<Answer>(
    async () => {
      if (!process.isRunning()) {
        const exit = await process.exited;
        throw new HealthWaitError('exited', '', `${process.name} exited with ${exit.signal ?? exit.code} during start`);
      }
      try {
        const signal = options.requestTimeoutMs ? AbortSignal.timeout(options.requestTimeoutMs) : undefined;
        const response = await fetch(`${baseUrl}/health`, { signal });
        if (response.status === 200) return { healthy: true, answer: 'HTTP 200' };
        return { healthy: false, answer: `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}` };
      } catch (error) {
        return { healthy: false, answer: error instanceof Error ? error.message : String(error) }; // not listening yet
      }
    },
    (answer) => answer.healthy,
    {
      timeoutMs: options.timeoutMs,
      intervalMs: options.intervalMs,
      onTimeout: (last) => new HealthWaitError('timeout', last.answer, `${baseUrl} did not become healthy (last: ${last.answer})`),
    },
  );
}

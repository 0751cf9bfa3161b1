import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { NODE_RUNTIME_FLAGS } from '../../libs/config/src/node-runtime-flags';

const PROJECT_ROOT = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process printed so far (JSON log lines). */
  output(): string;
  /** SIGTERM and wait; SIGKILL after `timeoutMs`. Resolves with the exit code (null if killed). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: the process dies mid-work, as in a crash. */
  kill(): Promise<void>;
}

export function startProcess(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): ServiceProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface ApiProcess extends ServiceProcess {
  baseUrl: string;
}

/** Starts the built API (`dist/`) and waits until /health answers 200. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const processHandle = startNodeScript('dist/apps/api/src/main.js', { ...env, PORT: String(port) });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (processHandle.child.exitCode !== null) throw new Error(`API exited during start:\n${processHandle.output()}`);
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await processHandle.kill();
      throw new Error(`API did not become healthy:\n${processHandle.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ...processHandle, baseUrl };
}

/** Starts the built worker (`dist/`). */
export function startWorker(env: Record<string, string>): ServiceProcess {
  return startNodeScript('dist/apps/worker/src/main.js', env);
}

function startNodeScript(script: string, env: Record<string, string>): ServiceProcess {
  return startProcess(process.execPath, [...NODE_RUNTIME_FLAGS, path.join(PROJECT_ROOT, script)], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
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
  const deadline = Date.now() + 10_000;
  while (!server.output().includes('Ready to accept connections')) {
    if (server.child.exitCode !== null || server.child.signalCode !== null || Date.now() > deadline) {
      await server.kill();
      throw new Error(`redis-server did not start on port ${chosenPort}:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ...server, port: chosenPort, url: `redis://127.0.0.1:${chosenPort}` };
}

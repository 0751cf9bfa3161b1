import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Child processes for `npm start`, the tests and the benchmarks: PostgreSQL, Redis, the API and
 * the worker.
 *
 * By default (`detached`, what `npm start` needs) each child runs in its own process group, so a
 * Ctrl-C in the terminal reaches only the supervisor, which then stops the children in order (the
 * API before the database it drains into). The price is that a child no longer dies with its
 * terminal or its parent, so a small guard process watches the parent: when the parent goes away
 * without stopping its children (even by SIGKILL), the guard stops them. Tests and benchmarks
 * start theirs with `detached: false`: plain children of the test worker, in its process group.
 */

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  error?: Error;
}

export interface ManagedProcessOptions {
  /** A short name for messages, e.g. `postgres`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Defaults to no stdin and the parent's stdout and stderr. */
  stdio?: StdioOptions;
  /** Run as another user (root only): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
  /** The signal that asks the program to shut down cleanly; PostgreSQL's fast shutdown is SIGINT. */
  stopSignal?: NodeJS.Signals;
  /** Its own process group, watched by the guard (default true); false: an ordinary child. */
  detached?: boolean;
  /** Collects stdout and stderr for `output()` (instead of `stdio`'s choice for them). */
  captureOutput?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  /** What it printed so far, when started with `captureOutput` (else empty). */
  output(): string;
  /** Settles (never rejects) when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** Sends the stop signal, waits up to `timeoutMilliseconds`, then kills it (a detached one: its whole process group). */
  stop(timeoutMilliseconds?: number): Promise<ProcessExit>;
  /** SIGKILL at once (a detached one: its whole process group), as in a crash; resolves once it exited. */
  kill(): Promise<ProcessExit>;
}

const DEFAULT_STOP_TIMEOUT_MILLISECONDS = 10_000;
const isWindows = process.platform === 'win32';

export function spawnManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const detached = (options.detached ?? true) && !isWindows;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.captureOutput ? ['ignore', 'pipe', 'pipe'] : (options.stdio ?? ['ignore', 'inherit', 'inherit']),
    uid: options.uid,
    gid: options.gid,
    detached,
  });
  let output = '';
  if (options.captureOutput) {
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }
  let running = child.pid !== undefined;
  if (child.pid !== undefined && detached) watchWithGuard(child.pid, stopSignal);

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      if (child.pid !== undefined) forgetInGuard(child.pid);
      resolve({ code, signal });
    });
    // 'error' without a pid means the program never started; later errors (a failed kill) are not exits.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });

  return {
    name: options.name,
    pid: child.pid,
    child,
    output: () => output,
    exited,
    isRunning: () => running,
    async stop(timeoutMilliseconds = DEFAULT_STOP_TIMEOUT_MILLISECONDS) {
      if (!running) return exited;
      sendSignal(child, stopSignal, { wholeGroup: false });
      const forceKill = setTimeout(() => {
        // Detached children are the supervisor's own (npm start): say why one is killed. A test's are killed quietly, as before.
        if (detached)
          process.stderr.write(`${options.name} did not stop within ${timeoutMilliseconds / 1000} s of ${stopSignal}: killing it\n`);
        sendSignal(child, 'SIGKILL', { wholeGroup: detached });
      }, timeoutMilliseconds);
      const exit = await exited;
      clearTimeout(forceKill);
      return exit;
    },
    async kill() {
      if (!running) return exited;
      sendSignal(child, 'SIGKILL', { wholeGroup: detached });
      return exited;
    },
  };
}

/** Signals a child, or its whole process group (its own children too: postgres backends). */
function sendSignal(child: ChildProcess, signal: NodeJS.Signals, { wholeGroup }: { wholeGroup: boolean }): void {
  try {
    if (wholeGroup && !isWindows && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

/**
 * The guard: a tiny Node program that reads `watch <pid> <signal>` and `forget <pid>` lines on its
 * stdin. Its stdin is a pipe from the parent, so it reaches end-of-file exactly when the parent
 * exits, however it exits. It then sends each child still watched its stop signal, and SIGKILL to
 * its process group if it is still there 10 s later.
 *
 * It is a source string rather than a compiled file so that it works whether this module runs
 * from dist/ or from TypeScript under a test runner. It ignores SIGINT, SIGTERM and SIGHUP: a
 * signal sent to the parent's process group must not take the guard down with the parent.
 */
const GUARD_PROGRAM = `/* kalma child-process guard: stops the children of a parent that died */
'use strict';
const watched = new Map();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
const signalProcess = (pid, signal) => { try { process.kill(pid, signal); } catch {} };
const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch (error) { return error.code === 'EPERM'; } };
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\\n')) >= 0) {
    const [command, pid, signal] = pending.slice(0, end).split(' ');
    pending = pending.slice(end + 1);
    if (command === 'watch') watched.set(Number(pid), signal);
    if (command === 'forget') watched.delete(Number(pid));
  }
});
const stopWatched = () => {
  if (watched.size === 0) process.exit(0);
  for (const [pid, signal] of watched) signalProcess(pid, signal);
  const deadline = Date.now() + 10000;
  setInterval(() => {
    for (const pid of watched.keys()) if (!isAlive(pid)) watched.delete(pid);
    if (watched.size > 0 && Date.now() < deadline) return;
    for (const pid of watched.keys()) signalProcess(-pid, 'SIGKILL');
    process.exit(0);
  }, 100);
};
process.stdin.on('end', stopWatched);
process.stdin.on('error', stopWatched);
`;

interface Guard {
  process: ChildProcess;
  stdin: Socket;
}

let guard: Guard | undefined;
const watchedPids = new Set<number>();

function watchWithGuard(pid: number, stopSignal: NodeJS.Signals): void {
  if (isWindows) return;
  watchedPids.add(pid);
  guard ??= startGuard();
  guard.stdin.write(`watch ${pid} ${stopSignal}\n`);
}

function forgetInGuard(pid: number): void {
  if (!watchedPids.delete(pid) || !guard) return;
  guard.stdin.write(`forget ${pid}\n`);
  // Nothing left to protect: closing its stdin lets the guard exit.
  if (watchedPids.size === 0) {
    guard.stdin.end();
    guard = undefined;
  }
}

function startGuard(): Guard {
  const guardProcess = spawn(process.execPath, ['-e', GUARD_PROGRAM], {
    stdio: ['pipe', 'ignore', 'inherit'],
    // Its own process group: a SIGKILL to the parent's group (a CI timeout) must not reach it.
    detached: true,
  });
  const stdin = guardProcess.stdin as Socket;
  // The guard dying first only costs the protection; it must not crash the parent with EPIPE.
  stdin.on('error', () => undefined);
  // Neither the guard nor its pipe may keep the parent's event loop alive.
  guardProcess.unref();
  stdin.unref();
  return { process: guardProcess, stdin };
}

import { setTimeout as delay } from 'node:timers/promises';

/** Resolves after `milliseconds`. */
export const sleep = (milliseconds: number): Promise<void> => delay(milliseconds);

export interface WaitForOptions<T> {
  /** How long to keep asking (default 30 s). */
  timeoutMs?: number;
  /** Pause between two reads (default 100 ms). */
  intervalMs?: number;
  /** Names what is awaited: on timeout, throw an error saying so and what was seen last. */
  what?: string;
  /**
   * On timeout: a function making the error to throw, or `'return-last'`: resolve with the last
   * value read, for the caller to assert on (a test's `expect` then shows what it saw). The
   * default is `'return-last'`, or throwing when `what` is given.
   */
  onTimeout?: 'return-last' | ((last: T) => Error);
}

/**
 * The one polling helper of the tests, benchmarks and scripts: reads `read` until `done` holds
 * for its value, and resolves with that value. An error thrown by `read` ends the wait at once
 * (for what will never get better: a process that exited, a password refused). At least one
 * read is always made, however short the timeout.
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  /** The options, or just `timeoutMs`. */
  timeoutOrOptions: number | WaitForOptions<T> = {},
): Promise<T> {
  const options = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      if (typeof options.onTimeout === 'function') throw options.onTimeout(value);
      if (options.what === undefined || options.onTimeout === 'return-last') return value;
      throw new Error(`${options.what}: not within ${timeoutMs} ms; last seen ${describe(value)}`);
    }
    await delay(options.intervalMs ?? 100);
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

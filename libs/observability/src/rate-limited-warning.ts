import { Logger } from '@nestjs/common';

/**
 * A warning that repeats at most once per `intervalMs`, for failures that recur many times a
 * second while a dependency is down (Redis reconnecting, say): one line tells the operator, a
 * line per occurrence would bury the logs. The next line counts the occurrences it stood for.
 */
export function rateLimitedWarning(logger: Logger, intervalMs: number): (message: string) => void {
  // An interval between log lines, not a time of the domain: measured on the monotonic clock.
  let lastLoggedAt = -Infinity;
  let occurrences = 0;
  return (message) => {
    occurrences++;
    const now = performance.now();
    if (now - lastLoggedAt < intervalMs) return;
    logger.warn(occurrences > 1 ? `${message} (${occurrences} times since the last warning)` : message);
    lastLoggedAt = now;
    occurrences = 0;
  };
}

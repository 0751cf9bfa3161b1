/**
 * When a failed webhook delivery is tried again: exponential backoff (base, 2×base, 4×base…)
 * capped at `maxDelaySeconds`, with ±20 % jitter so that deliveries that failed together
 * (a receiver outage) do not all come back in the same second.
 *
 * Giving up is decided with the attempt count and the notification's age together (in SQL,
 * when the outcome is recorded): a delivery is failed only after WEBHOOK_MAX_ATTEMPTS attempts
 * AND WEBHOOK_RETRY_WINDOW_SECONDS, so jitter can never make the retries end before the window.
 * Both are counted within the retry window: from the notification's creation, or from the last
 * time operations asked for a retry (which starts a new window, the backoff from the base again).
 */
export interface RetrySchedule {
  baseSeconds: number;
  maxDelaySeconds: number;
}

/** Share of the delay that jitter may add or remove. */
export const RETRY_JITTER = 0.2;

/** Seconds to wait after attempt number `attempt` of the retry window (1 = its first attempt) failed. */
export function retryDelaySeconds(attempt: number, schedule: RetrySchedule, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30); // 2^30 × base is past any cap; avoids Infinity
  const nominal = Math.min(schedule.maxDelaySeconds, schedule.baseSeconds * 2 ** exponent);
  const jittered = nominal * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random());
  return Math.round(jittered * 1000) / 1000;
}

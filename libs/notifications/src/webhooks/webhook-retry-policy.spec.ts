import { RETRY_JITTER, retryDelaySeconds } from './webhook-retry-policy';

describe('retryDelaySeconds', () => {
  const schedule = { baseSeconds: 30, maxDelaySeconds: 3600 };

  it('doubles from the base delay without jitter at the middle of the range', () => {
    const middle = (): number => 0.5;
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, schedule, middle))).toEqual([30, 60, 120, 240, 480]);
  });

  it('never exceeds the cap (plus jitter), even for absurd attempt numbers', () => {
    for (const attempt of [8, 20, 31, 500, 10_000]) {
      expect(retryDelaySeconds(attempt, schedule, () => 0.5)).toBe(3600);
      expect(retryDelaySeconds(attempt, schedule, () => 0.999999)).toBeLessThanOrEqual(3600 * (1 + RETRY_JITTER));
    }
  });

  it('spreads delays within ±20 %', () => {
    expect(retryDelaySeconds(1, schedule, () => 0)).toBeCloseTo(24, 3);
    expect(retryDelaySeconds(1, schedule, () => 1)).toBeCloseTo(36, 3);
    const samples = Array.from({ length: 200 }, () => retryDelaySeconds(3, schedule));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(96);
    expect(Math.max(...samples)).toBeLessThanOrEqual(144);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });

  it('spans at least 24 h over the default 32 attempts even if every jitter falls short', () => {
    const low = (): number => 0;
    let total = 0;
    for (let attempt = 1; attempt < 32; attempt++) total += retryDelaySeconds(attempt, schedule, low);
    // Worst case ~20 h: the retry window (24 h, checked in SQL) keeps retrying at the cap until it has passed.
    expect(total).toBeGreaterThan(20 * 3600);
    let nominal = 0;
    for (let attempt = 1; attempt < 32; attempt++) nominal += retryDelaySeconds(attempt, schedule, () => 0.5);
    expect(nominal).toBeGreaterThan(24 * 3600);
  });
});

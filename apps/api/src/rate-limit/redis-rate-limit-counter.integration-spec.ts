import { randomBytes } from 'node:crypto';
import { freePort, waitFor } from '../../../../scripts/harness';
import { testEnvironment } from '../../../../test/support/test-environment';
import { Redis } from 'ioredis';
import { leaseSizeFor, RedisRateLimitCounter } from './redis-rate-limit-counter';

/** Against the real Redis of the test run: the semantics of the Lua script, and failing open. */
describe('RedisRateLimitCounter', () => {
  const storages: RedisRateLimitCounter[] = [];
  const unavailable: Error[] = [];

  function newStorage(redisUrl = testEnvironment().redisUrl): RedisRateLimitCounter {
    const storage = new RedisRateLimitCounter({
      redis: { REDIS_URL: redisUrl },
      keyPrefix: `kalma-test-${testEnvironment().runId}:ratelimit:`,
      onRedisUnavailable: (error) => unavailable.push(error),
    });
    storages.push(storage);
    return storage;
  }

  const uniqueTracker = (): string => `key:${randomBytes(6).toString('hex')}`;
  const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

  async function whenConnected(storage: RedisRateLimitCounter): Promise<void> {
    // The client connects in the background; until then the storage fails open.
    await waitFor(
      () => storage.increment(uniqueTracker(), 1_000, 1, 0, 'probe'),
      (result) => result.totalHits === 1,
      { timeoutMs: 1_000, intervalMs: 20, onTimeout: () => new Error('Redis did not connect') },
    );
  }

  afterAll(async () => {
    for (const storage of storages) storage.close();
  });

  it('counts hits in a window and refuses those over the limit until the window ends (no block)', async () => {
    const storage = newStorage();
    await whenConnected(storage);
    const tracker = uniqueTracker();
    const results = [];
    for (let hit = 0; hit < 5; hit++) results.push(await storage.increment(tracker, 1_000, 3, 0, 'default'));
    expect(results.map((result) => result.isBlocked)).toEqual([false, false, false, true, true]);
    expect(results.map((result) => result.totalHits)).toEqual([1, 2, 3, 4, 5]);
    expect(results[3].timeToBlockExpire).toBe(1);
    expect(results[0].timeToExpire).toBe(1);

    await sleep(1_100);
    const afterWindow = await storage.increment(tracker, 1_000, 3, 0, 'default');
    expect(afterWindow).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('blocks for blockDuration once over the limit, without counting blocked hits, then starts afresh', async () => {
    const storage = newStorage();
    await whenConnected(storage);
    const tracker = uniqueTracker();
    for (let hit = 0; hit < 2; hit++) expect((await storage.increment(tracker, 10_000, 2, 1_500, 'default')).isBlocked).toBe(false);
    const over = await storage.increment(tracker, 10_000, 2, 1_500, 'default');
    expect(over).toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
    const stillBlocked = await storage.increment(tracker, 10_000, 2, 1_500, 'default');
    expect(stillBlocked).toMatchObject({ isBlocked: true, totalHits: 3 });

    await sleep(1_600);
    // The window (10 s) has not ended, but the block has: counting starts again from 1.
    expect(await storage.increment(tracker, 10_000, 2, 1_500, 'default')).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('shares one count between storages (as between API processes) and keeps trackers and throttlers apart', async () => {
    const first = newStorage();
    const second = newStorage();
    await Promise.all([whenConnected(first), whenConnected(second)]);
    const tracker = uniqueTracker();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => (index % 2 ? first : second).increment(tracker, 60_000, 25, 0, 'default')),
    );
    expect(results.filter((result) => !result.isBlocked)).toHaveLength(25);
    expect(new Set(results.map((result) => result.totalHits)).size).toBe(40);

    expect((await first.increment(uniqueTracker(), 60_000, 25, 0, 'default')).totalHits).toBe(1);
    expect((await first.increment(tracker, 60_000, 25, 0, 'another')).totalHits).toBe(1);
  });

  it('takes 1 % of a large limit from Redis at once and counts those hits in memory', async () => {
    expect([1, 25, 199, 200, 600, 10_000, 100_000_000].map(leaseSizeFor)).toEqual([1, 1, 1, 2, 6, 100, 100]);
    const storage = newStorage();
    await whenConnected(storage);
    const redis = new Redis(testEnvironment().redisUrl);
    try {
      const tracker = uniqueTracker();
      const hitsKey = `kalma-test-${testEnvironment().runId}:ratelimit:{default:${tracker}}:hits`;
      const counted = async (): Promise<number> => Number(await redis.get(hitsKey));
      const first = await storage.increment(tracker, 60_000, 1_000, 0, 'default');
      expect(first).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await counted()).toBe(10); // a lease of 10 hits
      const leased = [];
      for (let hit = 0; hit < 9; hit++) leased.push(await storage.increment(tracker, 60_000, 1_000, 0, 'default'));
      expect(leased.map((result) => result.totalHits)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await counted()).toBe(10); // served from the lease, Redis untouched
      expect((await storage.increment(tracker, 60_000, 1_000, 0, 'default')).totalHits).toBe(11);
      expect(await counted()).toBe(20);
    } finally {
      redis.disconnect();
    }
  });

  it('never admits more than the limit across processes that lease, and strands at most a lease per process', async () => {
    const counters = [newStorage(), newStorage(), newStorage()];
    await Promise.all(counters.map(whenConnected));
    const tracker = uniqueTracker();
    const limit = 1_000; // leases of 10
    const results = await Promise.all(
      Array.from({ length: 1_300 }, (_, index) => counters[index % counters.length].increment(tracker, 60_000, limit, 0, 'default')),
    );
    const admitted = results.filter((result) => !result.isBlocked);
    expect(admitted.length).toBeLessThanOrEqual(limit);
    expect(admitted.length).toBeGreaterThanOrEqual(limit - counters.length * (leaseSizeFor(limit) - 1));
    // Every admitted hit has its own number, all within the limit.
    expect(new Set(admitted.map((result) => result.totalHits)).size).toBe(admitted.length);
    expect(Math.max(...admitted.map((result) => result.totalHits))).toBeLessThanOrEqual(limit);
  });

  it('lets requests through when Redis is unreachable (fails open) instead of throwing', async () => {
    const storage = newStorage(`redis://127.0.0.1:${await freePort()}`);
    const reportedBefore = unavailable.length;
    const results = await Promise.all(Array.from({ length: 5 }, () => storage.increment(uniqueTracker(), 60_000, 1, 0, 'default')));
    for (const result of results) expect(result).toEqual({ totalHits: 0, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(unavailable.length - reportedBefore).toBe(5);

    // With leases (a large limit), requests of one key waiting on the failed call fail open with it.
    const tracker = uniqueTracker();
    const leasing = await Promise.all(Array.from({ length: 5 }, () => storage.increment(tracker, 60_000, 10_000, 0, 'default')));
    for (const result of leasing) expect(result).toEqual({ totalHits: 0, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });
});

import { randomBytes } from 'node:crypto';
import { freePort } from '../../../../test/support/service-processes';
import { testEnvironment } from '../../../../test/support/test-environment';
import { RedisRateLimitCounter } from './redis-rate-limit-counter';

/** Against the real Redis of the test run: the semantics of the Lua script, and failing open. */
describe('RedisRateLimitCounter', () => {
  const storages: RedisRateLimitCounter[] = [];
  const unavailable: Error[] = [];

  function newStorage(redisUrl = testEnvironment().redisUrl): RedisRateLimitCounter {
    const storage = new RedisRateLimitCounter({
      redisUrl,
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
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await storage.increment(uniqueTracker(), 1_000, 1, 0, 'probe')).totalHits === 1) return;
      await sleep(20);
    }
    throw new Error('Redis did not connect');
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

  it('lets requests through when Redis is unreachable (fails open) instead of throwing', async () => {
    const storage = newStorage(`redis://127.0.0.1:${await freePort()}`);
    const reportedBefore = unavailable.length;
    const results = await Promise.all(Array.from({ length: 5 }, () => storage.increment(uniqueTracker(), 60_000, 1, 0, 'default')));
    for (const result of results) expect(result).toEqual({ totalHits: 0, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(unavailable.length - reportedBefore).toBe(5);
  });
});

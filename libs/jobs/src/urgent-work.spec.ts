import { ELSEWHERE_CHECK_MS, UrgentWork } from './urgent-work';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('UrgentWork', () => {
  it('is running while any of its work runs, and not after', async () => {
    const urgent = new UrgentWork();
    expect(urgent.isRunning()).toBe(false);
    let finishFirst: () => void = () => undefined;
    const first = urgent.run(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    expect(await urgent.run(async () => urgent.isRunning())).toBe(true);
    // The second is over, the first still runs.
    expect(urgent.isRunning()).toBe(true);
    finishFirst();
    await first;
    expect(urgent.isRunning()).toBe(false);
  });

  it('ends its urgent work when the work fails', async () => {
    const urgent = new UrgentWork();
    await expect(urgent.run(async () => Promise.reject(new Error('deadlock')))).rejects.toThrow('deadlock');
    expect(urgent.isRunning()).toBe(false);
  });

  it('counts urgent work elsewhere from its last check, asking at most every ELSEWHERE_CHECK_MS', async () => {
    let now = 0;
    const urgent = new UrgentWork(() => now);
    // null: the check fails (the database is down).
    let elsewhere: boolean | null = true;
    let checks = 0;
    urgent.watchElsewhere(async () => {
      checks++;
      if (elsewhere === null) throw new Error('database down');
      return elsewhere;
    });
    // The first question starts a check and answers with what was known (nothing yet).
    expect(urgent.isRunning()).toBe(false);
    await flush();
    expect(urgent.isRunning()).toBe(true);
    expect(checks).toBe(1);
    elsewhere = false;
    now += ELSEWHERE_CHECK_MS - 1;
    expect(urgent.isRunning()).toBe(true);
    await flush();
    expect(checks).toBe(1);
    now += 1;
    urgent.isRunning();
    await flush();
    expect([urgent.isRunning(), checks]).toEqual([false, 2]);
    // A failed check counts as nothing running.
    elsewhere = true;
    now += ELSEWHERE_CHECK_MS;
    urgent.isRunning();
    await flush();
    expect(urgent.isRunning()).toBe(true);
    elsewhere = null;
    now += ELSEWHERE_CHECK_MS;
    urgent.isRunning();
    await flush();
    expect([urgent.isRunning(), checks]).toEqual([false, 4]);
  });
});

import { MAX_DEFERRAL_MS, UrgentWork } from './urgent-work';

describe('UrgentWork', () => {
  it('asks background work to wait while urgent work runs, and not after', async () => {
    const urgent = new UrgentWork();
    expect(urgent.shouldDefer()).toBe(false);
    let during: boolean | undefined;
    await urgent.run(async () => {
      during = urgent.shouldDefer();
    });
    expect(during).toBe(true);
    expect(urgent.shouldDefer()).toBe(false);
  });

  it('stops deferring once urgent work has run for MAX_DEFERRAL_MS, counted from the oldest still running', async () => {
    let now = 1_000;
    const urgent = new UrgentWork(() => now);
    let finishFirst: () => void = () => undefined;
    const first = urgent.run(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    now += MAX_DEFERRAL_MS - 1;
    const second = urgent.run(async () => urgent.shouldDefer());
    expect(await second).toBe(true);
    now += 1;
    expect(urgent.shouldDefer()).toBe(false);
    finishFirst();
    await first;
    expect(urgent.shouldDefer()).toBe(false);
  });

  it('ends its urgent work when the work fails', async () => {
    const urgent = new UrgentWork();
    await expect(urgent.run(async () => Promise.reject(new Error('deadlock')))).rejects.toThrow('deadlock');
    expect(urgent.shouldDefer()).toBe(false);
  });
});

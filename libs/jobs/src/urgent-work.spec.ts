import { UrgentWork } from './urgent-work';

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
});

import fc from 'fast-check';
import { DeliveryPacer } from './delivery-pacer';

describe('DeliveryPacer', () => {
  it('sets no bound when not paced', () => {
    const pacer = new DeliveryPacer(10, () => 0);
    expect(pacer.available(false)).toBe(Number.POSITIVE_INFINITY);
  });

  it('never lets a paced claimer take more than the rate allows, plus one burst, and does not starve it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 300 }), wants: fc.integer({ min: 0, max: 500 }) }), { maxLength: 80 }),
        (rate, claims) => {
          let now = 0;
          const pacer = new DeliveryPacer(rate, () => now);
          const burst = Math.max(1, Math.ceil(rate / 5));
          let taken = 0;
          for (const claim of claims) {
            now += claim.afterMs;
            const available = pacer.available(true);
            const take = Math.min(available, claim.wants);
            pacer.take(take);
            taken += take;
            // Over any stretch from the start: at most one burst plus what the rate has added since.
            expect(taken).toBeLessThanOrEqual(burst + (now * rate) / 1000);
            // Waiting as long as it says is always enough for a full burst.
            now += pacer.msUntilBurst();
            expect(pacer.available(true)).toBe(burst);
          }
        },
      ),
    );
  });

  it('starts a new stretch of pacing with a full burst', () => {
    const now = 0;
    const pacer = new DeliveryPacer(50, () => now);
    pacer.take(pacer.available(true));
    expect(pacer.available(true)).toBe(0);
    expect(pacer.msUntilBurst()).toBe(200);
    expect(pacer.available(false)).toBe(Number.POSITIVE_INFINITY);
    expect(pacer.available(true)).toBe(10);
  });
});

import fc from 'fast-check';
import { AgencyWriteLimiter, AgencyWriteTurn } from './agency-write-limiter';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One write as the test sees it: its agency, and what the limiter answered (once it has). */
interface Write {
  agency: string;
  turn?: AgencyWriteTurn;
}

describe('AgencyWriteLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  const agencies = ['a', 'b'];
  // Waits shorter than the longest wait in line, so that turns are handed on as well as timed out.
  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('acquire' as const), agency: fc.constantFrom(...agencies) }) },
    // Releases the n-th running write (modulo how many run), as a finished request would.
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
  );

  it('runs at most `concurrency` per agency, lets the rest in first come first served, and refuses only a full line or a long wait', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(step, { maxLength: 60 }),
        async (concurrency, maxWaiting, steps) => {
          const maxWaitMs = 100;
          const limiter = new AgencyWriteLimiter({ concurrency, maxWaiting, maxWaitMs });
          // The model: per agency, the writes running and those waiting (in arrival order, with when they joined).
          let now = 0;
          const running = new Map<string, Write[]>(agencies.map((agency) => [agency, []]));
          const waiting = new Map<string, { write: Write; since: number }[]>(agencies.map((agency) => [agency, []]));

          const settle = async (): Promise<void> => {
            await flush();
            for (const agency of agencies) {
              // Whoever the limiter let in must be the first in line of the model, in order.
              const line = waiting.get(agency)!;
              while (line.length > 0 && line[0].write.turn) {
                const { write } = line.shift()!;
                if ('release' in write.turn!) running.get(agency)!.push(write);
                else expect(write.turn).toEqual({ refused: 'waited_too_long' });
              }
              for (const { write, since } of line) {
                expect(write.turn).toBeUndefined();
                expect(now - since).toBeLessThanOrEqual(maxWaitMs);
              }
              expect(running.get(agency)!.length).toBeLessThanOrEqual(concurrency);
              // Nobody waits while a turn is free.
              if (line.length > 0) expect(running.get(agency)!.length).toBe(concurrency);
            }
            expect(limiter.waiting).toBe([...waiting.values()].reduce((sum, line) => sum + line.length, 0));
          };

          for (const action of steps) {
            if (action.kind === 'acquire') {
              const write: Write = { agency: action.agency };
              const line = waiting.get(action.agency)!;
              const full = running.get(action.agency)!.length === concurrency && line.length >= maxWaiting;
              void limiter.acquire(action.agency).then((turn) => (write.turn = turn));
              await flush();
              if (full) expect(write.turn).toEqual({ refused: 'line_full' });
              else if (running.get(action.agency)!.length < concurrency) {
                expect(write.turn && 'release' in write.turn).toBe(true);
                running.get(action.agency)!.push(write);
              } else line.push({ write, since: now });
            } else if (action.kind === 'release') {
              const all = [...running.values()].flat();
              if (all.length === 0) continue;
              const write = all[action.pick % all.length];
              const turn = write.turn as { release: () => void };
              turn.release();
              // Releasing twice frees one turn only.
              if (action.twice) turn.release();
              running.set(
                write.agency,
                running.get(write.agency)!.filter((other) => other !== write),
              );
            } else {
              // Timers fire one by one, so waiters that joined at different times leave in order.
              now += action.ms;
              await jest.advanceTimersByTimeAsync(action.ms);
            }
            await settle();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forgets an agency once nothing of it runs or waits', async () => {
    const limiter = new AgencyWriteLimiter({ concurrency: 1, maxWaiting: 5, maxWaitMs: 1_000 });
    const first = await limiter.acquire('a');
    const second = limiter.acquire('a');
    expect(limiter.waiting).toBe(1);
    (first as { release: () => void }).release();
    const granted = await second;
    expect(limiter.waiting).toBe(0);
    (granted as { release: () => void }).release();
    expect((limiter as unknown as { lines: Map<string, unknown> }).lines.size).toBe(0);
  });
});

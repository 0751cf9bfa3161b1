import fc from 'fast-check';
import { AgencyWriteLimiter, AgencyWriteTurn } from './agency-write-limiter';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One write as the test sees it: its agency, and what the limiter answered (once it has). */
interface Write {
  agency: string;
  turn?: AgencyWriteTurn;
}

/** What the limiter should have answered each write so far: the specification, kept by hand. */
type Expected = 'running' | 'waiting' | 'line_full' | 'waited_too_long' | 'released';

describe('AgencyWriteLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  const agencies = ['a', 'b', 'c'];
  // Waits shorter than the longest wait in line, so that turns are handed on as well as timed out.
  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('acquire' as const), agency: fc.constantFrom(...agencies) }) },
    // Releases the n-th running write (modulo how many run), as a finished request would.
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
  );

  it('runs at most `concurrency` per agency and `totalConcurrency` in all, lets in the oldest write that may run, and refuses only a full line or a long wait', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(step, { maxLength: 60 }),
        async (concurrency, totalConcurrency, maxWaiting, steps) => {
          const maxWaitMs = 100;
          const limiter = new AgencyWriteLimiter({ concurrency, totalConcurrency, maxWaiting, maxWaitMs });
          let now = 0;
          // The model: every write in arrival order, what it should have been answered, and when it began to wait.
          const writes: { write: Write; expected: Expected; since: number }[] = [];
          const running = (agency?: string) =>
            writes.filter((entry) => entry.expected === 'running' && (agency === undefined || entry.write.agency === agency)).length;
          const waitingOf = (agency: string) => writes.filter((entry) => entry.expected === 'waiting' && entry.write.agency === agency);
          const mayRun = (agency: string) => running(agency) < concurrency && running() < totalConcurrency;
          // A turn came free: the oldest waiting write whose agency is below its limit goes, while turns are left.
          const grantFreeTurns = (): void => {
            for (;;) {
              const next = writes.find((entry) => entry.expected === 'waiting' && mayRun(entry.write.agency));
              if (!next) return;
              next.expected = 'running';
            }
          };

          const compare = async (): Promise<void> => {
            await flush();
            for (const { write, expected } of writes) {
              if (expected === 'waiting') expect(write.turn).toBeUndefined();
              else if (expected === 'running' || expected === 'released') expect(write.turn && 'release' in write.turn).toBe(true);
              else expect(write.turn).toEqual({ refused: expected });
            }
            // The limits hold, and the limiter's own counts agree.
            for (const agency of agencies) expect(running(agency)).toBeLessThanOrEqual(concurrency);
            expect(running()).toBeLessThanOrEqual(totalConcurrency);
            expect(limiter.running).toBe(running());
            expect(limiter.waiting).toBe(writes.filter((entry) => entry.expected === 'waiting').length);
          };

          for (const action of steps) {
            if (action.kind === 'acquire') {
              const write: Write = { agency: action.agency };
              const line = waitingOf(action.agency);
              const expected: Expected =
                line.length === 0 && mayRun(action.agency) ? 'running' : line.length >= maxWaiting ? 'line_full' : 'waiting';
              writes.push({ write, expected, since: now });
              void limiter.acquire(action.agency).then((turn) => (write.turn = turn));
            } else if (action.kind === 'release') {
              const all = writes.filter((entry) => entry.expected === 'running');
              if (all.length === 0) continue;
              const entry = all[action.pick % all.length];
              const turn = entry.write.turn as { release: () => void };
              turn.release();
              // Releasing twice frees one turn only.
              if (action.twice) turn.release();
              entry.expected = 'released';
              grantFreeTurns();
            } else {
              // Timers fire one by one, so waiters that joined at different times leave in order.
              now += action.ms;
              await jest.advanceTimersByTimeAsync(action.ms);
              for (const entry of writes)
                if (entry.expected === 'waiting' && now - entry.since >= maxWaitMs) entry.expected = 'waited_too_long';
            }
            await compare();
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("lets another agency's write in beside an agency whose writes all wait, up to the total", async () => {
    const limiter = new AgencyWriteLimiter({ concurrency: 2, totalConcurrency: 3, maxWaiting: 5, maxWaitMs: 1_000 });
    const stuck = await Promise.all([limiter.acquire('a'), limiter.acquire('a')]);
    let third: AgencyWriteTurn | undefined;
    void limiter.acquire('a').then((turn) => (third = turn));
    const other = await limiter.acquire('b');
    expect('release' in other).toBe(true);
    // The total is reached: b's next write waits, and a's third write, which came first, still waits for a's own turn.
    let next: AgencyWriteTurn | undefined;
    void limiter.acquire('b').then((turn) => (next = turn));
    await flush();
    expect([third, next, limiter.waiting]).toEqual([undefined, undefined, 2]);
    (stuck[0] as { release: () => void }).release();
    await flush();
    // a's turn came free and a's third write is the oldest that may run.
    expect(third && 'release' in third).toBe(true);
    expect(next).toBeUndefined();
    (other as { release: () => void }).release();
    await flush();
    expect(next && 'release' in next).toBe(true);
    expect(limiter.waiting).toBe(0);
  });

  it('forgets an agency once nothing of it runs or waits', async () => {
    const limiter = new AgencyWriteLimiter({ concurrency: 1, totalConcurrency: 1, maxWaiting: 5, maxWaitMs: 1_000 });
    const first = await limiter.acquire('a');
    const second = limiter.acquire('a');
    expect(limiter.waiting).toBe(1);
    (first as { release: () => void }).release();
    const granted = await second;
    expect(limiter.waiting).toBe(0);
    (granted as { release: () => void }).release();
    expect(limiter.running).toBe(0);
    expect((limiter as unknown as { lines: Map<string, unknown> }).lines.size).toBe(0);
  });
});

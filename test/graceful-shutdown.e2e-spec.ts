import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor } from '../scripts/harness';

/** SIGTERM to an API process: the requests in flight are answered, then the process exits by itself. */
describe('an API process stopped with SIGTERM', () => {
  let stack: KalmaStack;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 1 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a request still running on a keep-alive connection, closes that connection and exits without being killed', async () => {
    const api = await stack.startApi();
    const operations = new KalmaClient(api.baseUrl, stack.operationsKey);
    const date = dateFromToday(40);
    // The night's row exists, and this client's keep-alive connection to the API is open.
    expect((await operations.request('PUT', `/v1/capacity/${date}`, { capacity: 19_000 })).status).toBe(200);

    // Hold the night's row so that the next capacity change is still running when SIGTERM arrives.
    const blocker = await stack.database.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nights WHERE date = $1 FOR UPDATE', [date]);
      const inFlight = operations.request('PUT', `/v1/capacity/${date}`, { capacity: 18_000 });
      await waitForLockWaiter(stack);

      const stopped = api.stop(30_000);
      // Long enough for the shutdown to reach the HTTP server's close while the request waits.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await blocker.query('COMMIT');
      const releasedAt = Date.now();

      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ date, capacity: 18_000 });
      expect(answer.headers.get('connection')).toBe('close');
      await stopped;
      // Exited on its own after SIGTERM (Nest re-raises it), not SIGKILLed after the timeout.
      expect(api.child.signalCode).toBe('SIGTERM');
      expect(Date.now() - releasedAt).toBeLessThan(5_000);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  });
});

/** Waits until some session of the test database waits for a row lock. */
async function waitForLockWaiter(stack: KalmaStack): Promise<void> {
  await waitFor(
    async () =>
      (
        await stack.database.pool.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
      ).rows[0].waiting as number,
    (waiting) => waiting > 0,
    { timeoutMs: 5_000, intervalMs: 25, onTimeout: () => new Error('the capacity change never waited for the night lock') },
  );
}

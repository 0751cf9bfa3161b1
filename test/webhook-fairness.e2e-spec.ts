import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

/** Inserts notifications straight into the outbox, as a ban's enforcement chunks write them. */
async function insertNotifications(stack: KalmaStack, agencyId: string, count: number): Promise<string[]> {
  const { rows } = await stack.database.pool.query<{ id: string }>(
    `INSERT INTO notifications (agency_id, type, data, dedupe_key)
     SELECT $1, 'booking.cancelled', jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'KAL-F' || i, 'reason', 'restriction'), 'test:' || gen_random_uuid()
       FROM generate_series(1, $2) AS i
     RETURNING id`,
    [agencyId, count],
  );
  return rows.map((row) => row.id);
}

/** Seconds from each notification being written to its first request reaching the receiver. */
async function firstArrivalLags(stack: KalmaStack, receiver: WebhookReceiver, ids: string[]): Promise<number[]> {
  const { rows } = await stack.database.pool.query<{ id: string; createdAt: Date }>(
    `SELECT id, created_at AS "createdAt" FROM notifications WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map(
    (row) => (Math.min(...receiver.requestsFor(row.id).map((request) => request.receivedAt)) - row.createdAt.getTime()) / 1000,
  );
}

/**
 * Issue 13: one agency's backlog, or its receiver answering only at the 10 s timeout, never
 * delays another agency's deliveries by more than a few seconds. Real API and worker processes,
 * the default concurrency (100 requests in flight per worker) and the default 10 s timeout.
 */
describe('webhook delivery is fair between agencies', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // The stuck receiver answers after the timeout: every request to it is a failed attempt of 10 s.
    receiver.on('/stuck', () => 200, { delayMs: 12_000 });
    receiver.on('/slow', () => 200, { delayMs: 150 });
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { WEBHOOK_DISPATCH_INTERVAL_MS: '200', WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_RETRY_BASE_SECONDS: '60' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it("delivers agency B's webhooks within seconds while agency A's receiver times out on a backlog of 400", async () => {
    const stuck = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/stuck`);
    const healthy = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/healthy`);
    const backlog = await insertNotifications(stack, stuck.agencyId, 400);
    // A's requests are hanging in the worker before B has anything to send.
    await waitFor(
      () => receiver.received.filter((request) => request.path === '/stuck').length,
      (count) => count >= 10,
      15_000,
    );

    const healthyIds: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      healthyIds.push(...(await insertNotifications(stack, healthy.agencyId, 25)));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    await waitFor(
      () => healthyIds.every((id) => receiver.requestsFor(id).length > 0),
      (done) => done,
      20_000,
    );
    const lags = await firstArrivalLags(stack, receiver, healthyIds);
    expect(lags.filter((lag) => !Number.isFinite(lag))).toEqual([]);
    expect(Math.max(...lags)).toBeLessThan(3);

    // A held at most its share of the worker's requests at once (alone at first: half of the 100) before the first of them timed out.
    const stuckRequests = receiver.received.filter((request) => request.path === '/stuck');
    const firstStuck = Math.min(...stuckRequests.map((request) => request.receivedAt));
    expect(stuckRequests.filter((request) => request.receivedAt < firstStuck + 9_000).length).toBeLessThanOrEqual(50);
    expect(new Set(stuckRequests.map((request) => request.id)).size).toBeLessThan(backlog.length);

    // The metric says how long A's oldest delivery has waited, by agency id.
    const metrics = await fetch(`${stack.apis[0].baseUrl}/metrics`).then((response) => response.text());
    const age = (agencyId: string): number | undefined => {
      const line = metrics.split('\n').find((entry) => entry.startsWith(`kalma_webhook_oldest_pending_seconds{agency_id="${agencyId}"}`));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(age(stuck.agencyId)).toBeGreaterThan(5);
    expect(age(healthy.agencyId)).toBeUndefined();
  }, 90_000);

  it("delivers agency B's webhooks within seconds while agency A works through a backlog of 4,000 on a slow receiver", async () => {
    const busy = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/slow`);
    const healthy = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/healthy-too`);
    const backlog = await insertNotifications(stack, busy.agencyId, 4_000);
    await waitFor(
      () => receiver.received.filter((request) => request.path === '/slow').length,
      (count) => count >= 50,
      15_000,
    );

    const healthyIds = await insertNotifications(stack, healthy.agencyId, 50);
    await waitFor(
      () => healthyIds.every((id) => receiver.requestsFor(id).length > 0),
      (done) => done,
      20_000,
    );
    const lags = await firstArrivalLags(stack, receiver, healthyIds);
    expect(Math.max(...lags)).toBeLessThan(3);
    // B was served while A still had most of its backlog to go.
    const { rows } = await stack.database.pool.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM notifications WHERE id = ANY($1::uuid[]) AND delivery_state = 'pending'`,
      [backlog],
    );
    expect(rows[0].pending).toBeGreaterThan(1_000);

    // Every one of A's deliveries is still delivered, once each (at least once; here exactly, with no lease run out).
    await waitFor(
      async () =>
        (
          await stack.database.pool.query<{ pending: number }>(
            `SELECT count(*)::int AS pending FROM notifications WHERE id = ANY($1::uuid[]) AND delivery_state <> 'delivered'`,
            [backlog],
          )
        ).rows[0].pending,
      (pending) => pending === 0,
      60_000,
    );
    const arrivals = new Set(receiver.received.filter((request) => request.path === '/slow').map((request) => request.id));
    expect(arrivals.size).toBe(4_000);
  }, 120_000);
});

import { Webhook } from 'standardwebhooks';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { freePort } from './support/service-processes';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

/** Inserts notifications straight into the outbox, as any writer in any transaction would. */
async function insertNotifications(stack: KalmaStack, agencyId: string, count: number, type = 'booking.cancelled'): Promise<string[]> {
  const { rows } = await stack.database.pool.query<{ id: string }>(
    `INSERT INTO notifications (agency_id, type, data, dedupe_key)
     SELECT $1, $2, jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'KAL-T' || i, 'reason', 'operations'), 'test:' || gen_random_uuid()
       FROM generate_series(1, $3) AS i
     RETURNING id`,
    [agencyId, type, count],
  );
  return rows.map((row) => row.id);
}

async function deliveryStates(stack: KalmaStack, ids: string[]): Promise<string[]> {
  const { rows } = await stack.database.pool.query<{ state: string }>(
    `SELECT delivery_state AS state FROM notifications WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map((row) => row.state);
}

describe('webhook delivery', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;
  let metricsPort: number;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    metricsPort = await freePort();
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: {
        HOLD_TTL_SECONDS: '2',
        SWEEP_INTERVAL_SECONDS: '1',
        WEBHOOK_DISPATCH_INTERVAL_MS: '200',
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_RETRY_MAX_DELAY_SECONDS: '2',
        WEBHOOK_MAX_ATTEMPTS: '4',
        WEBHOOK_RETRY_WINDOW_SECONDS: '0',
        WEBHOOK_TIMEOUT_MS: '3000',
        WORKER_METRICS_PORT: String(metricsPort),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('delivers an expired hold to the agency webhook, signed, with webhook-id = the notification id', async () => {
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/holds`);
    const agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    const created = await agent.createBooking({ checkIn: dateFromToday(60), checkOut: dateFromToday(62), guests: [guest()], hold: true });
    expect(created.status).toBe(201);

    const requests = await waitFor(
      () => receiver.received.filter((request) => request.path === '/holds'),
      (found) => found.length > 0,
    );
    expect(requests).toHaveLength(1);
    const [request] = requests;
    const payload = new Webhook(agency.webhookSecret).verify(request.body, request.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({
      type: 'booking.hold_expired',
      data: { bookingId: created.body.id, reference: created.body.reference },
    });
    expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);
    expect(request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);

    const inbox = await agent.get('/v1/notifications');
    const notification = inbox.body.data.find((entry: any) => entry.data.bookingId === created.body.id);
    expect(request.id).toBe(notification.id);

    const delivery = await waitFor(
      () => stack.operations.get(`/v1/notifications/${notification.id}/deliveries`),
      (result) => result.body.state === 'delivered',
    );
    expect(delivery.status).toBe(200);
    expect(delivery.body).toMatchObject({
      notificationId: notification.id,
      agencyId: agency.agencyId,
      type: 'booking.hold_expired',
      state: 'delivered',
      attemptCount: 1,
      nextAttemptAt: null,
    });
    expect(delivery.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, url: `${receiver.baseUrl}/holds`, statusCode: 200, error: null, succeeded: true }),
    ]);
    expect(typeof delivery.body.attempts[0].durationMs).toBe('number');

    // Only operations see deliveries; an unknown notification is 404.
    expect((await agent.get(`/v1/notifications/${notification.id}/deliveries`)).status).toBe(403);
    expect((await stack.operations.get('/v1/notifications/00000000-0000-4000-8000-000000000000/deliveries')).status).toBe(404);
  });

  it('retries failed attempts with the same webhook-id until the receiver accepts (at least once, all of them)', async () => {
    // Every notification is refused twice with a 500, then accepted.
    receiver.on('/flaky', ({ previousDeliveries }) => (previousDeliveries < 2 ? 500 : 200));
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/flaky`);
    const ids = await insertNotifications(stack, agency.agencyId, 25);

    const states = await waitFor(
      () => deliveryStates(stack, ids),
      (found) => found.every((state) => state === 'delivered'),
      40_000,
    );
    expect(states).toEqual(ids.map(() => 'delivered'));

    const signer = new Webhook(agency.webhookSecret);
    for (const id of ids) {
      const requests = receiver.requestsFor(id);
      expect(requests.map((request) => request.status)).toEqual([500, 500, 200]);
      // The same message each time: same id, same body, a valid signature on every attempt.
      expect(new Set(requests.map((request) => request.body)).size).toBe(1);
      for (const request of requests) expect(() => signer.verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }

    const delivery = await stack.operations.get(`/v1/notifications/${ids[0]}/deliveries`);
    expect(delivery.body.state).toBe('delivered');
    expect(delivery.body.attemptCount).toBe(3);
    expect(delivery.body.attempts.map((attempt: any) => [attempt.attempt, attempt.statusCode, attempt.succeeded])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(delivery.body.attempts[0].error).toBe('HTTP 500');
    // Backoff: the retry came at least about the base delay later (±20 % jitter).
    const gapMs = Date.parse(delivery.body.attempts[1].attemptedAt) - Date.parse(delivery.body.attempts[0].attemptedAt);
    expect(gapMs).toBeGreaterThanOrEqual(750);

    const list = await stack.operations.get(`/v1/agencies/${agency.agencyId}/webhook-deliveries?state=delivered&limit=10`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(10);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    expect(list.body.data[0]).toMatchObject({
      agencyId: agency.agencyId,
      state: 'delivered',
      lastAttempt: { attempt: 3, statusCode: 200, succeeded: true },
    });
    const rest = await stack.operations.get(
      `/v1/agencies/${agency.agencyId}/webhook-deliveries?state=delivered&limit=50&cursor=${list.body.nextCursor}`,
    );
    expect(rest.body.data).toHaveLength(15);
    expect(new Set([...list.body.data, ...rest.body.data].map((entry: any) => entry.notificationId))).toEqual(new Set(ids));
    expect((await stack.operations.get(`/v1/agencies/${agency.agencyId}/webhook-deliveries?state=lost`)).status).toBe(400);
  }, 60_000);

  it('signs each attempt with the secret current at attempt time (rotation)', async () => {
    let currentSecret = '';
    // Accept only what verifies with the current (rotated) secret.
    receiver.on('/rotating', ({ headers, body }) => {
      try {
        new Webhook(currentSecret).verify(body, headers as Record<string, string>);
        return 200;
      } catch {
        return 503;
      }
    });
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/rotating`);
    currentSecret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`; // nothing verifies: every attempt fails for now
    const [id] = await insertNotifications(stack, agency.agencyId, 1);
    await waitFor(
      () => receiver.requestsFor(id),
      (found) => found.length >= 1,
    );

    const rotated = await stack.operations.post(`/v1/agencies/${agency.agencyId}/webhook-secret`);
    expect(rotated.status).toBe(200);
    currentSecret = rotated.body.webhookSecret;
    const states = await waitFor(
      () => deliveryStates(stack, [id]),
      (found) => found[0] === 'delivered',
      20_000,
    );
    expect(states).toEqual(['delivered']);
    const requests = receiver.requestsFor(id);
    expect(requests[0].status).toBe(503);
    expect(() => new Webhook(agency.webhookSecret).verify(requests[0].body, requests[0].headers as Record<string, string>)).not.toThrow();
    expect(requests[requests.length - 1].status).toBe(200);
  }, 40_000);

  it('gives up after the last attempt and marks the delivery failed', async () => {
    receiver.on('/down', () => 500);
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/down`);
    const [id] = await insertNotifications(stack, agency.agencyId, 1, 'booking.flight_cancelled');

    const delivery = await waitFor(
      () => stack.operations.get(`/v1/notifications/${id}/deliveries`),
      (result) => result.body.state === 'failed',
      30_000,
    );
    expect(delivery.body).toMatchObject({ state: 'failed', attemptCount: 4, nextAttemptAt: null, deliveredAt: null });
    expect(delivery.body.attempts.map((attempt: any) => attempt.statusCode)).toEqual([500, 500, 500, 500]);
    // Nothing more is sent once it is failed.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(receiver.requestsFor(id)).toHaveLength(4);

    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/kalma_webhook_attempts_total\{outcome="http_error"\} [1-9]/);
    expect(text).toMatch(/kalma_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
    expect(text).toMatch(/kalma_webhook_deliveries_failed_total [1-9]/);
    expect(text).toMatch(/kalma_webhook_delivery_lag_seconds_count [1-9]/);
  }, 40_000);

  it("retries an agency's undelivered webhooks on request: a given-up delivery gets a fresh retry window, then arrives with the same webhook-id", async () => {
    let endpointWorks = false;
    receiver.on('/outage', () => (endpointWorks ? 200 : 503));
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/outage`);
    const retry = (agencyId = agency.agencyId) => stack.operations.post(`/v1/agencies/${agencyId}/webhook-deliveries/retry`);
    const attemptsOf = (id: string) => stack.operations.get(`/v1/notifications/${id}/deliveries`);
    const [id] = await insertNotifications(stack, agency.agencyId, 1);
    const givenUp = await waitFor(
      () => attemptsOf(id),
      (result) => result.body.state === 'failed',
      30_000,
    );
    expect(givenUp.body).toMatchObject({ state: 'failed', attemptCount: 4 });

    // A delivery whose attempt is in flight, as a claim leaves it: its lease an hour out, its attempt not yet recorded.
    const { rows: claimed } = await stack.database.pool.query<{ id: string }>(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key, delivery_attempts, next_attempt_at)
       VALUES ($1, 'booking.cancelled', '{}', 'test:' || gen_random_uuid(), 1, now() + interval '1 hour') RETURNING id`,
      [agency.agencyId],
    );
    const inFlight = claimed[0].id;
    const claimOf = async () =>
      (
        await stack.database.pool.query(
          `SELECT delivery_attempts AS attempts, next_attempt_at > now() + interval '50 minutes' AS leased FROM notifications WHERE id = $1`,
          [inFlight],
        )
      ).rows[0];

    // Still failing: the retry gives it a whole new window (WEBHOOK_MAX_ATTEMPTS more attempts), after which it is given up again.
    const first = await retry();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ rescheduled: 1 });
    const givenUpAgain = await waitFor(
      () => attemptsOf(id),
      (result) => result.body.state === 'failed' && result.body.attemptCount >= 8,
      30_000,
    );
    expect(givenUpAgain.body).toMatchObject({ state: 'failed', attemptCount: 8, nextAttemptAt: null });
    expect(givenUpAgain.body.attempts.map((attempt: any) => [attempt.attempt, attempt.statusCode])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => [attempt, 503]),
    );

    // The endpoint is fixed: one more retry and it arrives, the same message under the same webhook-id.
    endpointWorks = true;
    const second = await retry();
    expect(second.body).toEqual({ rescheduled: 1 });
    const delivered = await waitFor(
      () => attemptsOf(id),
      (result) => result.body.state === 'delivered',
    );
    expect(delivered.body).toMatchObject({ state: 'delivered', attemptCount: 9, nextAttemptAt: null });
    const requests = receiver.requestsFor(id);
    expect(requests.map((request) => request.status)).toEqual([503, 503, 503, 503, 503, 503, 503, 503, 200]);
    const arrived = requests[requests.length - 1];
    expect(arrived.headers['webhook-id']).toBe(id);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(new Webhook(agency.webhookSecret).verify(arrived.body, arrived.headers as Record<string, string>)).toMatchObject({
      type: 'booking.cancelled',
      data: { reason: 'operations' },
    });

    // Nothing left to retry: delivered ones are not sent again, and the claim in flight was never touched.
    expect((await retry()).body).toEqual({ rescheduled: 0 });
    expect(await claimOf()).toEqual({ attempts: 1, leased: true });
    expect(receiver.requestsFor(inFlight)).toEqual([]);

    // Operations only; an unknown agency is 404.
    expect((await stack.operations.as(agency.agentKey).post(`/v1/agencies/${agency.agencyId}/webhook-deliveries/retry`)).status).toBe(403);
    expect((await stack.operations.as(undefined).post(`/v1/agencies/${agency.agencyId}/webhook-deliveries/retry`)).status).toBe(401);
    const unknown = await retry('00000000-0000-4000-8000-000000000000');
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'not_found' });
  }, 60_000);

  it('settles notifications of agencies without a webhook URL as not applicable, and the inbox still works', async () => {
    const agency = await stack.operations.createAgencyWithAgentKey();
    const ids = await insertNotifications(stack, agency.agencyId, 3);
    const states = await waitFor(
      () => deliveryStates(stack, ids),
      (found) => found.every((state) => state === 'not_applicable'),
    );
    expect(states).toEqual(['not_applicable', 'not_applicable', 'not_applicable']);
    const delivery = await stack.operations.get(`/v1/notifications/${ids[0]}/deliveries`);
    expect(delivery.body).toMatchObject({ state: 'not_applicable', attemptCount: 0, attempts: [] });

    const agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    const inbox = await agent.get('/v1/notifications');
    expect(inbox.body.data.map((entry: any) => entry.id)).toEqual(ids);
    const ack = await agent.post('/v1/notifications/ack', { upTo: ids[2] });
    expect(ack.body).toEqual({ acknowledged: 3, upTo: ids[2] });
  });

  it('gives deliveries claimed by a worker that died back after the lease', async () => {
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/after-crash`);
    const [id] = await insertNotifications(stack, agency.agencyId, 1);
    // As a claim leaves it, by a worker killed before recording anything, whose lease just ran out.
    await stack.database.pool.query(
      `UPDATE notifications SET delivery_attempts = 1, next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
      [id],
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.requestsFor(id)).toHaveLength(0);
    await stack.database.pool.query(`UPDATE notifications SET next_attempt_at = now() WHERE id = $1`, [id]);
    const delivery = await waitFor(
      () => stack.operations.get(`/v1/notifications/${id}/deliveries`),
      (result) => result.body.state === 'delivered',
    );
    expect(delivery.body.attemptCount).toBe(2);
    expect(delivery.body.attempts).toEqual([expect.objectContaining({ attempt: 2, statusCode: 200 })]);
    expect(receiver.requestsFor(id)).toHaveLength(1);
  });

  it('finishes the deliveries of a worker killed mid-round once their lease runs out (another worker takes over)', async () => {
    receiver.on('/slow', () => 200, { delayMs: 1_500 });
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/slow`);
    const ids = await insertNotifications(stack, agency.agencyId, 150);
    await waitFor(
      () => ids.filter((id) => receiver.requestsFor(id).length > 0),
      (found) => found.length >= 20,
      20_000,
    );
    await stack.workers[0].kill(); // SIGKILL while about 100 requests are in flight, unrecorded
    const inFlightWhenKilled = ids.filter((id) => receiver.requestsFor(id).length > 0).length;
    expect(inFlightWhenKilled).toBeGreaterThanOrEqual(20);
    stack.startWorker();

    // Lease = 2 × WEBHOOK_TIMEOUT_MS (3 s) + 5 s = 11 s; then the new worker retries what the dead one had claimed.
    const states = await waitFor(
      () => deliveryStates(stack, ids),
      (found) => found.every((state) => state === 'delivered'),
      45_000,
    );
    expect(states).toEqual(ids.map(() => 'delivered'));
    for (const id of ids) expect(receiver.requestsFor(id).length).toBeGreaterThanOrEqual(1);
    const { rows } = await stack.database.pool.query<{ retried: number }>(
      `SELECT count(*)::int AS retried FROM notifications WHERE id = ANY($1::uuid[]) AND delivery_attempts = 2`,
      [ids],
    );
    // The claims the dead worker held were attempted again (same webhook-id), nothing was lost.
    expect(rows[0].retried).toBeGreaterThanOrEqual(inFlightWhenKilled);
  }, 90_000);

  it('on SIGTERM records the attempts in flight and hands back unsent claims, so nothing waits for a lease', async () => {
    receiver.on('/slow-stop', () => 200, { delayMs: 1_000 });
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/slow-stop`);
    const ids = await insertNotifications(stack, agency.agencyId, 400);
    await waitFor(
      () => ids.filter((id) => receiver.requestsFor(id).length > 0),
      (found) => found.length >= 20,
      20_000,
    );
    const worker = stack.workers[stack.workers.length - 1];
    await worker.stop();
    expect(worker.child.signalCode).not.toBe('SIGKILL'); // it shut down by itself, within the grace period

    const { rows } = await stack.database.pool.query<{ id: string; attempts: number; recorded: number; leased: boolean; state: string }>(
      `SELECT n.id, n.delivery_attempts AS attempts, n.delivery_state AS state,
              (SELECT count(*)::int FROM webhook_attempts w WHERE w.notification_id = n.id) AS recorded,
              n.next_attempt_at > now() + interval '2 seconds' AS leased
         FROM notifications n WHERE n.id = ANY($1::uuid[])`,
      [ids],
    );
    // Every claimed attempt was either made and recorded or handed back: no claim is left to a lease.
    for (const row of rows)
      expect({ id: row.id, attempts: row.attempts, leased: row.leased ?? false }).toEqual({
        id: row.id,
        attempts: row.recorded,
        leased: false,
      });
    expect(rows.filter((row) => row.state === 'delivered').length).toBeGreaterThan(0);
    expect(rows.filter((row) => row.state === 'pending').length).toBeGreaterThan(0); // stopped mid-way
    // Requests in flight were allowed to finish: shutting down did not turn any into a failed attempt.
    const failed = await stack.database.pool.query(
      `SELECT error FROM webhook_attempts WHERE notification_id = ANY($1::uuid[]) AND NOT succeeded`,
      [ids],
    );
    expect(failed.rows).toEqual([]);

    stack.startWorker();
    const states = await waitFor(
      () => deliveryStates(stack, ids),
      (found) => found.every((state) => state === 'delivered'),
      30_000,
    );
    expect(states).toEqual(ids.map(() => 'delivered'));
  }, 90_000);

  it('documents the delivery endpoints in OpenAPI', async () => {
    const document = await stack.operations.as(undefined).get('/docs-json');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/notifications/{id}/deliveries',
        '/v1/agencies/{id}/webhook-deliveries',
        '/v1/agencies/{id}/webhook-deliveries/retry',
      ]),
    );
  });

  it("exports whether vacuum keeps up: the server's autovacuum and the dead row versions the deliveries left, per table", async () => {
    const metrics = (await (await fetch(`${stack.apis[0].baseUrl}/metrics`)).text()).split('\n');
    const value = (series: string): number | undefined => {
      const line = metrics.find((entry) => entry.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const [{ autovacuum }] = (await stack.database.pool.query('SHOW autovacuum')).rows as { autovacuum: string }[];
    expect(value('kalma_database_autovacuum_enabled')).toBe(autovacuum === 'on' ? 1 : 0);
    // The deliveries above rewrote their notifications; the figure is PostgreSQL's, a moment behind.
    const [{ dead }] = (
      await stack.database.pool.query(`SELECT n_dead_tup::float8 AS dead FROM pg_stat_user_tables WHERE relname = 'notifications'`)
    ).rows as { dead: number }[];
    const exported = value('kalma_database_dead_rows{table="notifications"}');
    expect(exported).toBeDefined();
    expect(Math.abs((exported as number) - dead)).toBeLessThanOrEqual(Math.max(50, dead * 0.5));
    for (const table of ['bookings', 'nights', 'webhook_attempts'])
      expect(value(`kalma_database_dead_rows{table="${table}"}`)).toBeDefined();
    // No guest data in any label: table names only.
    expect(
      metrics
        .filter((line) => line.startsWith('kalma_database_dead_rows{'))
        .every((line) => /^kalma_database_dead_rows\{table="[a-z_]+"\} \d+$/.test(line)),
    ).toBe(true);
  });

  it('serves bull-board to operations only', async () => {
    const anonymous = await stack.operations.as(undefined).get('/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.body.code).toBe('unauthenticated');

    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    const agent = await stack.operations.as(agentKey).get('/admin/queues/api/queues');
    expect(agent.status).toBe(403);
    expect(agent.body.code).toBe('forbidden');
    expect((await stack.operations.as('kalma_ops_not-a-real-key').get('/admin/queues')).status).toBe(401);

    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    // A browser's Basic credentials carry the key as the password.
    const basic = (key: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`ops:${key}`).toString('base64')}` });
    expect((await stack.operations.as(undefined).request('GET', '/admin/queues', undefined, basic(stack.operationsKey))).status).toBe(200);
    expect((await stack.operations.as(undefined).request('GET', '/admin/queues', undefined, basic(agentKey))).status).toBe(403);

    const page = await stack.operations.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const queues = await stack.operations.get('/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((queue: any) => queue.name)).toEqual(expect.arrayContaining(['bookings', 'maintenance', 'webhooks']));
  });
});

describe('webhook retry window (a retry operations ask for starts a new one)', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // Given up after one failed attempt once the window is over: only a time window keeps a delivery retried.
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: {
        WEBHOOK_DISPATCH_INTERVAL_MS: '200',
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_RETRY_MAX_DELAY_SECONDS: '1',
        WEBHOOK_MAX_ATTEMPTS: '1',
        // Long enough for three attempts about a second apart even when a loaded CI machine
        // delays the first ones (with 3 s, a run of the whole suite once saw only two).
        WEBHOOK_RETRY_WINDOW_SECONDS: '6',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('retries a delivery given up long ago for a whole window again, then gives it up again', async () => {
    receiver.on('/down', () => 503);
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/down`);
    // Given up a day ago, after one attempt, its window long over.
    const { rows } = await stack.database.pool.query<{ id: string }>(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key, created_at, delivery_state, next_attempt_at, delivery_attempts)
       VALUES ($1, 'booking.cancelled', '{}', 'test:' || gen_random_uuid(), now() - interval '1 day', 'failed', NULL, 1) RETURNING id`,
      [agency.agencyId],
    );
    const id = rows[0].id;

    const retriedAt = Date.now();
    const retried = await stack.operations.post(`/v1/agencies/${agency.agencyId}/webhook-deliveries/retry`);
    expect(retried.body).toEqual({ rescheduled: 1 });
    const delivery = await waitFor(
      () => stack.operations.get(`/v1/notifications/${id}/deliveries`),
      (result) => result.body.state === 'failed' && result.body.attemptCount > 1,
      20_000,
    );
    expect(delivery.body.state).toBe('failed');
    // Not given up after its first failure: attempts about a second apart until the new window's 6 s are over, and then no more.
    const attempts = delivery.body.attempts.map((attempt: any) => Date.parse(attempt.attemptedAt));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts[attempts.length - 1] - retriedAt).toBeGreaterThanOrEqual(5_500);
    const sent = receiver.requestsFor(id).length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(receiver.requestsFor(id)).toHaveLength(sent);
  }, 40_000);
});

describe('webhook URL policy (private addresses not allowed)', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
        WEBHOOK_DISPATCH_INTERVAL_MS: '200',
        WEBHOOK_MAX_ATTEMPTS: '1',
        WEBHOOK_RETRY_WINDOW_SECONDS: '0',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('refuses a private-address webhook URL on create and update (400 validation_failed)', async () => {
    const created = await stack.operations.post('/v1/agencies', { name: 'Private', webhookUrl: `${receiver.baseUrl}/hook` });
    expect(created.status).toBe(400);
    expect(created.body.code).toBe('validation_failed');
    const agency = await stack.operations.post('/v1/agencies', { name: 'Public' });
    const updated = await stack.operations.request('PATCH', `/v1/agencies/${agency.body.id}`, { webhookUrl: 'http://10.1.2.3/hook' });
    expect(updated.status).toBe(400);
    expect(updated.body.code).toBe('validation_failed');
  });

  it('refuses at delivery time too when the address is internal, recording a failed attempt', async () => {
    const agency = await stack.operations.post('/v1/agencies', { name: 'Rebound' });
    // As if the URL's host had resolved publicly when it was set and to an internal address now.
    await stack.database.pool.query(`UPDATE agencies SET webhook_url = $2 WHERE id = $1`, [agency.body.id, `${receiver.baseUrl}/internal`]);
    const [id] = await insertNotifications(stack, agency.body.id, 1);
    const delivery = await waitFor(
      () => stack.operations.get(`/v1/notifications/${id}/deliveries`),
      (result) => result.body.state === 'failed',
    );
    if (delivery.body.state !== 'failed') console.log(`worker output:\n${stack.workers[0].output().slice(-4000)}`); // diagnosis if it ever times out
    expect(delivery.body.state).toBe('failed');
    expect(delivery.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, succeeded: false, error: expect.stringMatching(/internal address/) }),
    ]);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('a ban and its webhooks in one worker', () => {
  let stack: KalmaStack;
  let receiver: WebhookReceiver;
  /** WEBHOOK_RATE_DURING_ENFORCEMENT of this stack; a paced claim takes a fifth of a second's worth. */
  const rate = 100;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    stack = await startKalmaStack({
      apiCount: 1,
      workerCount: 1,
      env: { WEBHOOK_DISPATCH_INTERVAL_MS: '200', WEBHOOK_RATE_DURING_ENFORCEMENT: String(rate) },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it("sends the ban's webhooks at WEBHOOK_RATE_DURING_ENFORCEMENT while it cancels, then all of them", async () => {
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/ban`);
    // 12,000 bookings: three chunks per enforcement lane, so deliveries at full speed would start
    // mid-enforcement, as soon as the first chunk committed (they once did).
    const bookings = 12_000;
    await stack.database.pool.query(
      `WITH seeded AS (
         INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities)
         SELECT 'KAL-BAN' || n, $1, 'confirmed', current_date + 5 + n % 20, current_date + 7 + n % 20,
                '[{"fullName": "Ban Test", "nationality": "TV"}]', 1, ARRAY['TV']
           FROM generate_series(1, $2::int) AS n
         RETURNING check_in, check_out, guest_count)
       INSERT INTO nights (date, capacity, reserved)
       SELECT night::date, 1000000, sum(guest_count) FROM seeded, generate_series(check_in, check_out - 1, interval '1 day') AS night GROUP BY 1
       ON CONFLICT (date) DO UPDATE SET capacity = GREATEST(nights.capacity, 1000000), reserved = nights.reserved + excluded.reserved`,
      [agency.agencyId, bookings],
    );

    const ban = await stack.operations.post('/v1/restrictions', {
      nationalities: ['TV'],
      effectiveFrom: new Date().toISOString(),
      reason: 'ordering test',
    });
    expect(ban.status).toBe(201);
    const enforced = await waitFor(
      () => stack.operations.get(`/v1/restrictions/${ban.body.id}`),
      (result) => result.body.enforcement.state === 'completed',
      30_000,
    );
    expect(enforced.body.enforcement).toMatchObject({ state: 'completed', cancelledBookings: bookings });
    const delivered = await waitFor(
      () => receiver.received.filter((request) => request.path === '/ban'),
      (found) => found.length >= bookings,
      30_000,
    );
    expect(new Set(delivered.map((request) => request.id)).size).toBe(bookings);

    // The last chunk began at the latest cancellation: the lanes were still running, so every
    // attempt before it was paced, at most a burst plus the rate since the enforcement started.
    const { rows } = await stack.database.pool.query<{ lastChunkAt: Date; attemptsBefore: number }>(
      `WITH last AS (SELECT max(cancelled_at) AS at FROM bookings WHERE agency_id = $1)
       SELECT last.at AS "lastChunkAt",
              (SELECT count(*)::int FROM webhook_attempts a JOIN notifications n ON n.id = a.notification_id
                WHERE n.agency_id = $1 AND a.attempted_at < last.at) AS "attemptsBefore"
         FROM last`,
      [agency.agencyId],
    );
    const pacedSeconds = (rows[0].lastChunkAt.getTime() - Date.parse(enforced.body.enforcement.startedAt)) / 1000;
    expect(rows[0].attemptsBefore).toBeLessThanOrEqual(rate / 5 + rate * Math.max(pacedSeconds, 0));
  }, 90_000);
});

import { PoolClient } from 'pg';
import { brokenInvariants } from './support/database-snapshot';
import { dateFromToday, guest, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { scrapeMetrics } from './support/metrics';

const POOL_SIZE = 4;
/** Far more cancellations than the API has connections. */
const CANCELLATIONS = 4 * POOL_SIZE;
/** With a pool of 4, one agency's writes run one at a time (a quarter of the pool); this many more may wait. */
const QUEUE = 20;
const MAX_WAIT_MS = 4_000;

/**
 * One agency's writes that wait on a lock (here: the night its stays begin on, which a long ban
 * chunk, a capacity change or a stuck transaction holds) must not take every database
 * connection of an API process: another agency's booking on other nights, and its reads, go on
 * being answered meanwhile. When the lock is released, every waiting write completes, once.
 */
describe('one agency waiting on a lock does not starve the others', () => {
  let stack: KalmaStack;
  let blockedAgencyId: string;
  let blocked: KalmaClient;
  let other: KalmaClient;

  beforeAll(async () => {
    stack = await startKalmaStack({
      env: { DATABASE_POOL_SIZE: String(POOL_SIZE), AGENCY_WRITE_QUEUE: String(QUEUE), AGENCY_WRITE_MAX_WAIT_MS: String(MAX_WAIT_MS) },
    });
    const first = await stack.operations.createAgencyWithAgentKey();
    blockedAgencyId = first.agencyId;
    blocked = new KalmaClient(stack.apis[0].baseUrl, first.agentKey);
    other = new KalmaClient(stack.apis[0].baseUrl, (await stack.operations.createAgencyWithAgentKey()).agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const stay = (day: number) => ({ checkIn: dateFromToday(day), checkOut: dateFromToday(day + 2) });

  /** The other agency books a stay on `day` (a night nobody holds) and reads its list, both answered within 2 s. */
  const expectOtherAgencyServed = async (day: number): Promise<void> => {
    const started = performance.now();
    const [booking, list] = await Promise.all([
      other.createBooking({ ...stay(day), guests: [guest()] }),
      other.get('/v1/bookings?limit=10'),
    ]);
    const elapsedMs = performance.now() - started;
    expect([booking.status, list.status]).toEqual([201, 200]);
    expect(elapsedMs).toBeLessThan(2_000);
  };

  it("answers another agency's booking and list while the first agency's cancellations wait for a night", async () => {
    const booked = await Promise.all(
      Array.from({ length: CANCELLATIONS }, () => blocked.createBooking({ ...stay(40), guests: [guest()] })),
    );
    expect(booked.map((result) => result.status)).toEqual(booked.map(() => 201));

    // A transaction of the test holds the first night of those stays, as a long enforcement chunk would.
    const blocker: PoolClient = await stack.database.pool.connect();
    let cancellations: Promise<HttpResult>[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nights WHERE date = $1 FOR UPDATE', [stay(40).checkIn]);
      cancellations = booked.map((result) => blocked.post(`/v1/bookings/${result.body.id}/cancel`));
      // Long enough for every cancellation to have reached the API and queued for the night.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const waiting = await stack.database.pool.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted`);
      expect(waiting.rows[0].waiting).toBeGreaterThanOrEqual(1);

      // Without a bound, it waited for a free connection until the pool's timeout (5 s), then failed.
      await expectOtherAgencyServed(50);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }

    const results = await Promise.all(cancellations);
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));
    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS cancelled FROM bookings WHERE agency_id = $1 AND status = 'cancelled'`,
      [blockedAgencyId],
    );
    expect(rows[0].cancelled).toBe(CANCELLATIONS);
    // Each cancellation gave its nights back once.
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);
  });

  it('several agencies stuck behind one night hold at most AGENCY_WRITE_CONCURRENCY_TOTAL connections, and new bookings and reads go on', async () => {
    // With a pool of 4, each agency runs one write at a time and all agencies together three: four
    // stuck agencies would otherwise hold every connection.
    const stuckAgencies = await Promise.all(
      Array.from(
        { length: POOL_SIZE },
        async () => new KalmaClient(stack.apis[0].baseUrl, (await stack.operations.createAgencyWithAgentKey()).agentKey),
      ),
    );
    const booked = await Promise.all(
      stuckAgencies.flatMap((client) =>
        Array.from({ length: 3 }, () => client.createBooking({ ...stay(70), guests: [guest()] }).then((result) => ({ client, result }))),
      ),
    );
    expect(booked.map(({ result }) => result.status)).toEqual(booked.map(() => 201));

    const blocker: PoolClient = await stack.database.pool.connect();
    let cancellations: Promise<HttpResult>[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nights WHERE date = $1 FOR UPDATE', [stay(70).checkIn]);
      cancellations = booked.map(({ client, result }) => client.post(`/v1/bookings/${result.body.id}/cancel`));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await metric('kalma_agency_writes_running')).toBe(POOL_SIZE - 1);
      expect(await metric('kalma_agency_writes_waiting')).toBe(booked.length - (POOL_SIZE - 1));

      // Without the total, the four agencies' writes held the whole pool: this waited 5 s, then failed with 503.
      await expectOtherAgencyServed(80);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }

    const results = await Promise.all(cancellations);
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));
    expect(await metric('kalma_agency_writes_running')).toBe(0);
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);
  });

  /** The value of one series of the API's /metrics, or 0 when it has none yet. */
  const metric = async (series: string): Promise<number> => (await scrapeMetrics(stack.apis[0].baseUrl))(series);

  it('refuses what does not fit in line at once, and what waited too long later, both 429 rate_limited and with nothing written', async () => {
    const extra = 3;
    const count = 1 + QUEUE + extra;
    const booked = await Promise.all(Array.from({ length: count }, () => blocked.createBooking({ ...stay(60), guests: [guest()] })));
    expect(booked.map((result) => result.status)).toEqual(booked.map(() => 201));
    const refusedBefore = {
      full: await metric('kalma_agency_writes_refused_total{reason="line_full"}'),
      late: await metric('kalma_agency_writes_refused_total{reason="waited_too_long"}'),
    };

    const blocker: PoolClient = await stack.database.pool.connect();
    const answered: (HttpResult | undefined)[] = booked.map(() => undefined);
    let cancellations: Promise<HttpResult>[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nights WHERE date = $1 FOR UPDATE', [stay(60).checkIn]);
      const started = performance.now();
      cancellations = booked.map((result, index) =>
        blocked.post(`/v1/bookings/${result.body.id}/cancel`).then((answer) => (answered[index] = answer)),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // One runs (and waits on the night), QUEUE wait in line, the rest were refused at once.
      const early = answered.filter((answer) => answer !== undefined);
      expect(early.map((answer) => answer?.status)).toEqual(Array(extra).fill(429));
      expect(await metric('kalma_agency_writes_waiting')).toBe(QUEUE);

      await new Promise((resolve) => setTimeout(resolve, MAX_WAIT_MS + 1_000 - (performance.now() - started)));
      // Those in line waited MAX_WAIT_MS and were refused; the one running still waits on the night.
      expect(answered.filter((answer) => answer === undefined)).toHaveLength(1);
      expect(await metric('kalma_agency_writes_waiting')).toBe(0);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }

    const results = await Promise.all(cancellations);
    expect(results.map((result) => result.status).sort()).toEqual([200, ...Array(count - 1).fill(429)]);
    for (const refused of results.filter((result) => result.status === 429)) {
      expect(refused.body).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1 });
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    expect(await metric('kalma_agency_writes_refused_total{reason="line_full"}')).toBe(refusedBefore.full + extra);
    expect(await metric('kalma_agency_writes_refused_total{reason="waited_too_long"}')).toBe(refusedBefore.late + QUEUE);
    // Nothing of a refused cancellation was written: the bookings refused are still confirmed.
    const { rows } = await stack.database.pool.query(
      `SELECT status, count(*)::int AS bookings FROM bookings WHERE id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
      [booked.map((result) => result.body.id)],
    );
    expect(rows).toEqual([
      { status: 'cancelled', bookings: 1 },
      { status: 'confirmed', bookings: count - 1 },
    ]);
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    // The operator is told which agency, once, not once per refusal.
    const warnings = stack.apis[0]
      .output()
      .split('\n')
      .filter((line) => line.includes(`refused a write of agency ${blockedAgencyId} with 429`));
    expect(warnings).toHaveLength(1);
  });
});

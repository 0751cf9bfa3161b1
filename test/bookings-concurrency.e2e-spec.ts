import { randomUUID } from 'node:crypto';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

/** Bookings under real concurrency, across two API processes, against the real database. */
describe('booking admission under concurrency (two API processes)', () => {
  let stack: KalmaStack;
  let agents: KalmaClient[];

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 2 });
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    agents = stack.apis.map((api) => new KalmaClient(api.baseUrl, agentKey));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function reservedByNight(from: string, to: string): Promise<Map<string, number>> {
    const { rows } = await stack.database.pool.query<{ date: string; reserved: number }>(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, reserved FROM nights WHERE date >= $1 AND date < $2`,
      [from, to],
    );
    return new Map(rows.map((row) => [row.date, row.reserved]));
  }

  async function liveGuestsByNight(from: string, to: string): Promise<Map<string, number>> {
    const { rows } = await stack.database.pool.query<{ date: string; guests: string }>(
      `SELECT to_char(night, 'YYYY-MM-DD') AS date, sum(guest_count)::text AS guests
         FROM bookings, generate_series(check_in, check_out - 1, interval '1 day') AS night
        WHERE status IN ('held', 'confirmed') AND night >= $1 AND night < $2
        GROUP BY night`,
      [from, to],
    );
    return new Map(rows.map((row) => [row.date, Number(row.guests)]));
  }

  it('admits exactly 50 of 200 concurrent single-guest bookings on a night of capacity 50', async () => {
    const night = dateFromToday(10);
    const checkOut = dateFromToday(11);
    expect((await stack.operations.put(`/v1/capacity/${night}`, { capacity: 50 })).status).toBe(200);

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        agents[index % 2].createBooking({ checkIn: night, checkOut, guests: [guest('RU', `Guest ${index}`)] }),
      ),
    );
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(50);
    expect(statuses.filter((status) => status === 409)).toHaveLength(150);
    for (const refused of results.filter((result) => result.status === 409)) {
      expect(refused.body.code).toBe('capacity_exhausted');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    }

    const calendar = await agents[0].get(`/v1/capacity?from=${night}&to=${checkOut}`);
    expect(calendar.body.nights).toEqual([{ date: night, capacity: 50, reserved: 50, held: 0, available: 0 }]);
    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS count FROM bookings WHERE check_in = $1 AND status = 'confirmed'`,
      [night],
    );
    expect(rows[0].count).toBe(50);
  });

  it('finishes a storm of overlapping multi-night bookings with no deadlock and exact per-night totals', async () => {
    const from = dateFromToday(20);
    const to = dateFromToday(40);
    // Tight capacity on a few nights so that some requests are refused part-way through their stay.
    for (const offset of [25, 28, 31]) {
      expect((await stack.operations.put(`/v1/capacity/${dateFromToday(offset)}`, { capacity: 60 })).status).toBe(200);
    }
    const requests = Array.from({ length: 300 }, (_, index) => {
      const start = 20 + ((index * 7) % 15);
      const length = 1 + ((index * 3) % 5);
      const guests = Array.from({ length: 1 + (index % 4) }, (_, position) =>
        guest(position % 2 ? 'CN' : 'RU', `Guest ${index}.${position}`),
      );
      return { checkIn: dateFromToday(start), checkOut: dateFromToday(start + length), guests, hold: index % 3 === 0 };
    });
    // Submit in reverse order on one API and forwards on the other: lock orders would cross without date-ordered locking.
    const results = await Promise.all(requests.map((body, index) => agents[index % 2].createBooking(body)));
    const statuses = new Set(results.map((result) => result.status));
    expect([...statuses].every((status) => status === 201 || status === 409)).toBe(true);
    for (const result of results.filter((result) => result.status === 409)) expect(result.body.code).toBe('capacity_exhausted');
    expect(results.some((result) => result.status === 201)).toBe(true);
    expect(results.some((result) => result.status === 409)).toBe(true);

    const reserved = await reservedByNight(from, to);
    const live = await liveGuestsByNight(from, to);
    for (const [date, guests] of live) expect({ date, reserved: reserved.get(date) }).toEqual({ date, reserved: guests });
    for (const [date, count] of reserved) expect({ date, guests: live.get(date) ?? 0 }).toEqual({ date, guests: count });
    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS over FROM nights WHERE reserved > capacity OR held > reserved`,
    );
    expect(rows[0].over).toBe(0);
    for (const offset of [25, 28, 31]) expect(reserved.get(dateFromToday(offset))).toBeLessThanOrEqual(60);
  });

  it('creates one booking for 20 concurrent requests with one Idempotency-Key, all answered alike', async () => {
    const key = randomUUID();
    const body = { checkIn: dateFromToday(50), checkOut: dateFromToday(52), guests: [guest('KP', 'Kim')] };
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => agents[index % 2].createBooking(body, key)));
    expect(results.map((result) => result.status)).toEqual(Array(20).fill(201));
    const ids = new Set(results.map((result) => result.body.id));
    expect(ids.size).toBe(1);
    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM bookings WHERE check_in = $1`, [body.checkIn]);
    expect(rows[0].count).toBe(1);

    const reused = await agents[0].createBooking({ ...body, guests: [guest('KP', 'Someone Else')] }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it("leaves no row for a request refused inside a batch, and replays each request's own answer for its Idempotency-Key", async () => {
    // Bookings are written before the night locks and deleted when admission refuses them:
    // a refused request must leave nothing behind, and its key must replay the refusal.
    const night = dateFromToday(60);
    const checkOut = dateFromToday(61);
    expect((await stack.operations.put(`/v1/capacity/${night}`, { capacity: 30 })).status).toBe(200);
    const attempts = Array.from({ length: 120 }, (_, index) => ({
      key: randomUUID(),
      body: { checkIn: night, checkOut, guests: [guest('VN', `Guest ${index}`)] },
    }));
    const first = await Promise.all(attempts.map(({ key, body }, index) => agents[index % 2].createBooking(body, key)));
    expect(first.filter((result) => result.status === 201)).toHaveLength(30);
    expect(first.filter((result) => result.status === 409)).toHaveLength(90);

    const retried = await Promise.all(attempts.map(({ key, body }, index) => agents[(index + 1) % 2].createBooking(body, key)));
    expect(retried.map((result) => [result.status, result.body])).toEqual(first.map((result) => [result.status, result.body]));

    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM bookings WHERE check_in = $1`, [night]);
    expect(rows[0].count).toBe(30);
    expect((await reservedByNight(night, checkOut)).get(night)).toBe(30);
  });
});

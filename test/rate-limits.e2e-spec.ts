import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { keysMatching, stackRedis } from './support/stack-redis';

const LIMIT = 20;

/** RATE_LIMIT_PER_MINUTE per API key, counted across two API processes through Redis. */
describe('rate limits (two API processes)', () => {
  let stack: KalmaStack;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 2, env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A fresh agent key (issued with the operations key, which itself gets limited too: spend it sparingly). */
  async function agentClients(): Promise<KalmaClient[]> {
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    return stack.apis.map((api) => new KalmaClient(api.baseUrl, agentKey));
  }

  const calendarPath = `/v1/capacity?from=${dateFromToday(3)}&to=${dateFromToday(4)}`;

  it('allows RATE_LIMIT_PER_MINUTE requests per key across processes, then answers 429 rate_limited with Retry-After', async () => {
    const clients = await agentClients();
    const results = [];
    // One after the other, alternating processes: the count is shared, not per process.
    for (let index = 0; index < LIMIT + 6; index++) results.push(await clients[index % 2].get(calendarPath));

    expect(results.slice(0, LIMIT).map((result) => result.status)).toEqual(Array(LIMIT).fill(200));
    expect(results[0].headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    for (const refused of results.slice(LIMIT)) {
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }

    // One count per key across routes: a booking from the same key is refused as well, and nothing is written.
    const booking = await clients[1].createBooking({ checkIn: dateFromToday(5), checkOut: dateFromToday(6), guests: [guest()] });
    expect(booking.status).toBe(429);
    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM bookings`);
    expect(rows[0].count).toBe(0);
  });

  it('counts each key on its own: another key of the same agency and another agency are unaffected', async () => {
    const [limited] = await agentClients();
    const results = await Promise.all(Array.from({ length: LIMIT + 10 }, () => limited.get(calendarPath)));
    expect(results.filter((result) => result.status === 200)).toHaveLength(LIMIT);
    expect(results.filter((result) => result.status === 429)).toHaveLength(10);

    const [other] = await agentClients();
    expect((await other.get(calendarPath)).status).toBe(200);
  });

  it('does not limit public routes (health, metrics, docs)', async () => {
    const anonymous = new KalmaClient(stack.apis[0].baseUrl);
    for (const path of ['/health', '/metrics', '/docs-json']) {
      const statuses = await Promise.all(Array.from({ length: LIMIT + 5 }, () => anonymous.get(path).then((result) => result.status)));
      expect({ path, statuses: [...new Set(statuses)] }).toEqual({ path, statuses: [200] });
    }
  });

  it('keeps counters under QUEUE_PREFIX:ratelimit: (so deployments and test runs sharing a Redis never meet)', async () => {
    const redis = stackRedis(stack);
    try {
      const keys = await keysMatching(redis, `${stack.env.QUEUE_PREFIX}:ratelimit:*`);
      expect(keys.length).toBeGreaterThan(0);
      // Counted by key id (resolved by ApiKeyGuard first), never by the key itself.
      expect(keys.every((key) => /\{default:key:[0-9a-f-]{36}\}:(hits|block)$/.test(key))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});

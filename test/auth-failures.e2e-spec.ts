import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

const FAILURE_LIMIT = 10;
const KEY_LIMIT = 30;

/**
 * AUTH_FAILURES_PER_MINUTE per client address across two API processes (the address taken from
 * X-Forwarded-For here, TRUSTED_PROXY_HOPS=1, so that one test machine can be several clients),
 * on the API and on /admin/queues; and the per-key limit on /admin/queues.
 */
describe('authentication failures and the queue board, rate limited (two API processes)', () => {
  let stack: KalmaStack;
  let nextAddress = 1;

  beforeAll(async () => {
    stack = await startKalmaStack({
      apiCount: 2,
      env: { AUTH_FAILURES_PER_MINUTE: String(FAILURE_LIMIT), RATE_LIMIT_PER_MINUTE: String(KEY_LIMIT), TRUSTED_PROXY_HOPS: '1' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const calendarPath = `/v1/capacity?from=${dateFromToday(3)}&to=${dateFromToday(4)}`;
  /** A client address of its own for each test (counts are per address). */
  const newAddress = (): string => `198.51.100.${nextAddress++}`;
  const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });
  const api = (index: number) => new KalmaClient(stack.apis[index].baseUrl);
  const badKey = (index: number) => ({ authorization: `Bearer kalma_agt_not-a-key-${index}` });

  function expectRateLimited(result: { status: number; body: any; headers: Headers }): void {
    expect(result.status).toBe(429);
    expect(result.body).toMatchObject({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(result.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('answers 401 to AUTH_FAILURES_PER_MINUTE failures of one address across processes, then 429 with Retry-After', async () => {
    const attacker = newAddress();
    const results = [];
    for (let index = 0; index < FAILURE_LIMIT + 4; index++) {
      results.push(await api(index % 2).request('GET', calendarPath, undefined, from(attacker, badKey(index))));
    }
    expect(results.slice(0, FAILURE_LIMIT).map((result) => result.status)).toEqual(Array(FAILURE_LIMIT).fill(401));
    for (const refused of results.slice(FAILURE_LIMIT)) expectRateLimited(refused);
    // A request without any key is a failure too, and is refused the same way.
    expectRateLimited(await api(0).request('GET', calendarPath, undefined, from(attacker)));
  });

  it('refuses a blocked address before reading the database (even a valid key not in the cache), and leaves other addresses alone', async () => {
    const attacker = newAddress();
    const neighbour = newAddress();
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    for (let index = 0; index < FAILURE_LIMIT + 2; index++)
      await api(index % 2).request('GET', calendarPath, undefined, from(attacker, badKey(index)));
    for (const index of [0, 1]) {
      // Never looked up on either process yet: telling it from a guess would take the database read the block spares.
      expectRateLimited(await api(index).request('GET', calendarPath, undefined, from(attacker, { authorization: `Bearer ${agentKey}` })));
      expect(
        (await api(index).request('GET', calendarPath, undefined, from(neighbour, { authorization: `Bearer ${agentKey}` }))).status,
      ).toBe(200);
      expect((await api(index).request('GET', calendarPath, undefined, from(neighbour, badKey(index)))).status).toBe(401);
    }
  });

  it('counts failures on /admin/queues with the API, and limits an operations key there as on the API', async () => {
    const attacker = newAddress();
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });
    const statuses = [];
    for (let index = 0; index < FAILURE_LIMIT; index++) {
      statuses.push((await api(index % 2).request('GET', '/admin/queues', undefined, from(attacker, basic(`wrong-${index}`)))).status);
    }
    expect(statuses).toEqual(Array(FAILURE_LIMIT).fill(401));
    expectRateLimited(await api(1).request('GET', '/admin/queues', undefined, from(attacker, basic('wrong-again'))));
    expectRateLimited(await api(0).request('GET', calendarPath, undefined, from(attacker, badKey(99))));

    // An operations key of its own, so the suite's key keeps its budget.
    const { agencyId } = await stack.operations.createAgencyWithAgentKey();
    const issued = await stack.operations.post(`/v1/agencies/${agencyId}/api-keys`, { role: 'operations', label: 'queues' });
    expect(issued.status).toBe(201);
    const operator = newAddress();
    const board = [];
    for (let index = 0; index < KEY_LIMIT; index++) {
      board.push(
        (await api(index % 2).request('GET', '/admin/queues', undefined, from(operator, { authorization: `Bearer ${issued.body.key}` })))
          .status,
      );
    }
    expect(board).toEqual(Array(KEY_LIMIT).fill(200));
    expectRateLimited(
      await api(0).request('GET', '/admin/queues', undefined, from(operator, { authorization: `Bearer ${issued.body.key}` })),
    );
    // One budget per key, shared with its API calls.
    expectRateLimited(await api(1).request('GET', calendarPath, undefined, from(operator, { authorization: `Bearer ${issued.body.key}` })));
  });
});

import { Redis } from 'ioredis';
import { dateFromToday, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

/**
 * A revoked key is refused by every API process within 1 s of the revocation's answer
 * (PRODUCT.md), although each process caches resolved keys for 2 s: the revocation is broadcast
 * over Redis and every process drops the key from its cache.
 */
describe('key revocation across API processes', () => {
  let stack: KalmaStack;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 2 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const calendarPath = `/v1/capacity?from=${dateFromToday(3)}&to=${dateFromToday(4)}`;

  async function agentKey(): Promise<{ key: string; keyId: string }> {
    const { agencyId } = await stack.operations.createAgencyWithAgentKey();
    const issued = await stack.operations.post(`/v1/agencies/${agencyId}/api-keys`, { label: 'to revoke' });
    expect(issued.status).toBe(201);
    return { key: issued.body.key, keyId: issued.body.id };
  }

  /** Milliseconds from `since` until `client` is refused 401 (polling every 20 ms), or undefined after `timeoutMs`. */
  async function millisecondsUntilRefused(client: KalmaClient, since: number, timeoutMs = 4_000): Promise<number | undefined> {
    while (Date.now() - since < timeoutMs) {
      const result = await client.get(calendarPath);
      if (result.status === 401) return Date.now() - since;
      expect(result.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  it('is refused by the other process within 1 s of the revocation answer, though that process had the key cached', async () => {
    const { key, keyId } = await agentKey();
    const second = new KalmaClient(stack.apis[1].baseUrl, key);
    // Warmed on the second process just before the revocation: its cache would keep the key
    // for about 2 s more without the broadcast.
    expect((await second.get(calendarPath)).status).toBe(200);
    expect((await second.get(calendarPath)).status).toBe(200);
    const revoked = await stack.operations.request('DELETE', `/v1/api-keys/${keyId}`);
    const answeredAt = Date.now();
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();

    const elapsed = await millisecondsUntilRefused(second, answeredAt);
    expect(elapsed).toBeDefined();
    expect(elapsed).toBeLessThan(1_000);
    // And on the process that revoked it, at once.
    expect((await new KalmaClient(stack.apis[0].baseUrl, key).get(calendarPath)).status).toBe(401);
  });

  it('forgets every cached key when its subscription comes back, since revocations may have been missed meanwhile', async () => {
    const { key, keyId } = await agentKey();
    const second = new KalmaClient(stack.apis[1].baseUrl, key);
    expect((await second.get(calendarPath)).status).toBe(200);
    // Revoked behind the API's back (no broadcast), then the second process's subscription is cut.
    await stack.database.pool.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
    const revokedAt = Date.now();
    const redis = new Redis(stack.env.REDIS_URL);
    try {
      // The subscribers of this stack's two API processes, named after its QUEUE_PREFIX.
      const name = `${stack.env.QUEUE_PREFIX}:api-key-revocations-subscriber`;
      const clients = ((await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string)
        .split('\n')
        .filter((line) => line.includes(` name=${name} `));
      expect(clients).toHaveLength(2);
      for (const line of clients) await redis.call('CLIENT', 'KILL', 'ID', (/\bid=(\d+)/.exec(line) as RegExpExecArray)[1]);
    } finally {
      redis.disconnect();
    }
    const elapsed = await millisecondsUntilRefused(second, revokedAt);
    expect(elapsed).toBeDefined();
    expect(elapsed).toBeLessThan(1_000);
  });
});

import { unlinkKeysMatching } from '#libs/jobs';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { RedisClusterProcesses, startRedisCluster } from './support/redis-cluster';
import { enforcementCompleted, instantFromNow, waitForRestriction } from './support/restriction-helpers';
import { keysMatching, stackRedis } from './support/stack-redis';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';

/**
 * Kalma on a Redis Cluster of its own (3 primaries, 3 replicas: the failover below must not
 * disturb the suites sharing the project's cluster): where its keys live, the revocation
 * broadcast, and a primary killed while holds, a ban and webhooks are pending — its replica is
 * promoted and nothing is lost: what Redis lost, the sweeps find again in PostgreSQL.
 */
describe('on a Redis Cluster', () => {
  let cluster: RedisClusterProcesses;
  let stack: KalmaStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    receiver = await new WebhookReceiver().start();
    stack = await startKalmaStack({
      apiCount: 2,
      workerCount: 1,
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        HOLD_TTL_SECONDS: '3',
        SWEEP_INTERVAL_SECONDS: '1',
        WEBHOOK_DISPATCH_INTERVAL_MS: '200',
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_RETRY_MAX_DELAY_SECONDS: '2',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    await cluster?.stop();
  });

  it('keeps each queue in one slot under QUEUE_PREFIX:{queue}, the queues spread over the primaries', async () => {
    const agency = await stack.operations.createAgencyWithAgentKey();
    const agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    expect(
      (await agent.createBooking({ checkIn: dateFromToday(90), checkOut: dateFromToday(91), guests: [guest()], hold: true })).status,
    ).toBe(201);

    const redis = stackRedis(stack);
    try {
      const keys = await waitFor(
        () => keysMatching(redis, `${stack.env.QUEUE_PREFIX}:*`),
        (found) =>
          ['bookings', 'maintenance', 'webhooks'].every((queue) =>
            found.some((key) => key.startsWith(`${stack.env.QUEUE_PREFIX}:{${queue}}:${queue}:`)),
          ),
      );
      const queueKeys = keys.filter((key) => !key.startsWith(`${stack.env.QUEUE_PREFIX}:ratelimit:`));
      // Every queue key is hash-tagged by its queue; nothing else is written outside the rate limits.
      for (const key of queueKeys)
        expect(key).toMatch(new RegExp(`^${stack.env.QUEUE_PREFIX}:\\{(bookings|maintenance|restrictions|webhooks|disruptions)\\}:\\1:`));
      const slots = new Set(
        await Promise.all(
          ['bookings', 'maintenance', 'restrictions', 'webhooks', 'disruptions'].map((queue) => cluster.keySlot(`{${queue}}`)),
        ),
      );
      const primaries = new Set(await Promise.all([...slots].map(async (slot) => (await cluster.shardOf(slot)).primary.port)));
      expect(primaries.size).toBeGreaterThan(1);
    } finally {
      redis.disconnect();
    }
    expect((await stack.operations.get('/health')).status).toBe(200);
    // The queue board and the queue-depth metric read the queues through the cluster.
    const board = await stack.operations.get('/admin/queues/api/queues');
    expect(board.status).toBe(200);
    expect(board.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([
      'bookings',
      'disruptions',
      'maintenance',
      'restrictions',
      'webhooks',
    ]);
    const metrics = await fetch(`${stack.apis[0].baseUrl}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/kalma_queue_jobs\{queue="bookings",state="delayed"\} [1-9]/);
  });

  it('deletes matching keys from every primary (unlinkKeysMatching), and nothing else', async () => {
    const redis = stackRedis(stack);
    try {
      const prefix = `${stack.env.QUEUE_PREFIX}:unlink-test`;
      // Keys in many slots, so on every primary.
      await Promise.all(Array.from({ length: 300 }, (_, index) => redis.set(`${prefix}:gone:${index}`, '1')));
      await redis.set(`${prefix}:kept`, '1');
      expect(await unlinkKeysMatching(redis, `${prefix}:gone:*`)).toBe(300);
      expect(await keysMatching(redis, `${prefix}:*`)).toEqual([`${prefix}:kept`]);
      await redis.unlink(`${prefix}:kept`);
    } finally {
      redis.disconnect();
    }
  });

  it('broadcasts a revocation to the other API process over the cluster (refused there within 1 s)', async () => {
    const { agencyId } = await stack.operations.createAgencyWithAgentKey();
    const issued = await stack.operations.post(`/v1/agencies/${agencyId}/api-keys`, { label: 'to revoke' });
    const other = new KalmaClient(stack.apis[1].baseUrl, issued.body.key);
    const calendar = `/v1/capacity?from=${dateFromToday(3)}&to=${dateFromToday(4)}`;
    expect((await other.get(calendar)).status).toBe(200);
    expect((await stack.operations.request('DELETE', `/v1/api-keys/${issued.body.id}`)).status).toBe(200);
    const answeredAt = Date.now();
    const refused = await waitFor(
      () => other.get(calendar),
      (result) => result.status === 401,
      1_000,
    );
    expect(refused.status).toBe(401);
    expect(Date.now() - answeredAt).toBeLessThan(1_000);
  });

  it('loses no hold expiry, ban enforcement or webhook when the primary of the bookings queue is killed and its replica promoted', async () => {
    const agency = await stack.operations.createAgencyWithAgentKey(undefined, `${receiver.baseUrl}/failover`);
    const agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
    const checkIn = dateFromToday(120);
    const hold = await agent.createBooking({ checkIn, checkOut: dateFromToday(122), guests: [guest('CN')], hold: true });
    const banned = await agent.createBooking({ checkIn, checkOut: dateFromToday(122), guests: [guest('BR')] });
    expect([hold.status, banned.status]).toEqual([201, 201]);
    // Due a few seconds from now: its delayed job sits in Redis when the primary dies.
    const restriction = await stack.operations.post('/v1/restrictions', {
      nationalities: ['BR'],
      effectiveFrom: instantFromNow(4),
      reason: 'failover test',
    });
    expect(restriction.status).toBe(201);

    const { primary, replicas } = await cluster.shardOf(await cluster.keySlot('{bookings}'));
    expect(replicas).toHaveLength(1);
    await primary.kill();

    // While the shard has no primary, the API still books (the enqueue fails fast; the sweep finds the hold).
    const during = await agent.createBooking({ checkIn, checkOut: dateFromToday(121), guests: [guest('CN')], hold: true });
    expect(during.status).toBe(201);

    await cluster.waitUntilHealthy(30_000);
    expect((await cluster.shardOf(await cluster.keySlot('{bookings}'))).primary.port).toBe(replicas[0].port);

    for (const booking of [hold.body, during.body]) {
      const expired = await waitFor(
        () => agent.get(`/v1/bookings/${booking.id}`),
        (result) => result.body.status === 'cancelled',
        30_000,
      );
      expect(expired.body.cancellation).toMatchObject({ reason: 'hold_expired' });
    }
    await waitForRestriction(stack.operations, restriction.body.id, enforcementCompleted, 30_000);
    expect((await agent.get(`/v1/bookings/${banned.body.id}`)).body.cancellation).toMatchObject({
      reason: 'restriction',
      restrictionId: restriction.body.id,
    });

    // Every notification delivered by webhook, each once.
    const { rows } = await stack.database.pool.query<{ id: string }>(`SELECT id FROM notifications WHERE agency_id = $1`, [
      agency.agencyId,
    ]);
    expect(rows).toHaveLength(3);
    const delivered = await waitFor(
      () => receiver.received.filter((request) => request.path === '/failover' && request.status === 200),
      (found) => rows.every((row) => found.some((request) => request.id === row.id)),
      30_000,
    );
    expect(new Set(delivered.map((request) => request.id))).toEqual(new Set(rows.map((row) => row.id)));
    // The capacity went back, once per booking.
    expect((await agent.get(`/v1/capacity?from=${checkIn}&to=${dateFromToday(121)}`)).body.nights[0]).toMatchObject({
      reserved: 0,
      held: 0,
    });

    // And the API is healthy again, and books as before.
    await waitFor(
      () => stack.operations.get('/health'),
      (result) => result.status === 200,
      10_000,
    );
    for (const api of stack.apis) expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
    expect((await agent.createBooking({ checkIn: dateFromToday(130), checkOut: dateFromToday(131), guests: [guest()] })).status).toBe(201);
  });

  it('closes its cluster connections on SIGTERM: the API and the worker exit by themselves, promptly', async () => {
    for (const handle of [stack.workers[0], stack.apis[1]]) {
      const stoppedAt = Date.now();
      const before = handle.output().length;
      await handle.stop(10_000);
      // Exited on its own after SIGTERM (Nest re-raises it), not SIGKILLed after the timeout.
      expect(handle.child.signalCode).toBe('SIGTERM');
      expect(Date.now() - stoppedAt).toBeLessThan(8_000);
      // Nothing it still had to write (a finished job, a scheduler's next run) met a closed connection.
      expect(handle.output().slice(before)).not.toMatch(/Redis connection error|startup nodes|Connection is closed/);
    }
  });
});

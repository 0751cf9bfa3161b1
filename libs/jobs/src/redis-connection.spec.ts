import { queuePrefix } from './redis-connection';

describe('queuePrefix', () => {
  it('is QUEUE_PREFIX on a single Redis, as it always was', () => {
    expect(queuePrefix({ QUEUE_PREFIX: 'kalma' }, 'bookings')).toBe('kalma');
  });

  it("hash-tags each queue by its name on a cluster, so a queue's keys share a slot and still start with QUEUE_PREFIX", () => {
    const cluster = { QUEUE_PREFIX: 'kalma', REDIS_CLUSTER_NODES: '127.0.0.1:7000' };
    expect(queuePrefix(cluster, 'bookings')).toBe('kalma:{bookings}');
    expect(queuePrefix(cluster, 'webhooks')).toBe('kalma:{webhooks}');
  });
});

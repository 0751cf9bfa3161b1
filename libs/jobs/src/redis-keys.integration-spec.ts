import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testEnvironment } from '../../../test/support/test-environment';
import { unlinkKeysMatching } from './redis-keys';

/** Against the real Redis of the test run. */
describe('unlinkKeysMatching', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterAll(() => redis.disconnect());

  it('deletes every matching key across many SCAN batches, and nothing else', async () => {
    const prefix = `kalma-test-${testEnvironment().runId}:unlink-${randomBytes(4).toString('hex')}`;
    const pipeline = redis.pipeline();
    for (let index = 0; index < 2_500; index++) pipeline.set(`${prefix}:gone:${index}`, '1');
    pipeline.set(`${prefix}:kept`, '1');
    await pipeline.exec();

    expect(await unlinkKeysMatching(redis, `${prefix}:gone:*`)).toBe(2_500);
    expect(await redis.exists(`${prefix}:gone:0`, `${prefix}:gone:2499`)).toBe(0);
    expect(await redis.get(`${prefix}:kept`)).toBe('1');
    await redis.unlink(`${prefix}:kept`);
  });
});

import { Queue } from 'bullmq';
import { bullMqConnection, createRedisClient, isCluster, queuePrefix, QueueName, RedisClient } from '#libs/jobs';
import type { KalmaStack } from './kalma-stack';

/**
 * Redis as a stack's processes see it (REDIS_URL, or its cluster in the redis-cluster project),
 * through the production factory. The caller disconnects the client and closes the queue.
 */
export function stackRedis(stack: Pick<KalmaStack, 'env'>): RedisClient {
  return createRedisClient({ REDIS_URL: stack.env.REDIS_URL, REDIS_CLUSTER_NODES: stack.env.REDIS_CLUSTER_NODES });
}

/** One of the stack's queues, under the prefix its processes use; `close` also closes a cluster connection. */
export function stackQueue(stack: Pick<KalmaStack, 'env'>, name: QueueName): Queue {
  const settings = {
    REDIS_URL: stack.env.REDIS_URL,
    REDIS_CLUSTER_NODES: stack.env.REDIS_CLUSTER_NODES,
    QUEUE_PREFIX: stack.env.QUEUE_PREFIX,
  };
  const connection = bullMqConnection(settings, { failFast: false });
  const queue = new Queue(name, { connection: connection.connection, prefix: queuePrefix(settings, name) });
  const close = queue.close.bind(queue);
  queue.close = async () => {
    await close();
    connection.close();
  };
  return queue;
}

/** Every key matching `pattern`, from every primary of a cluster (each holds only its own slots). */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  await redis.ping(); // a cluster client knows its nodes once connected
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat();
}

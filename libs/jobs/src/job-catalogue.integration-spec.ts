import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { uniqueQueuePrefix } from '../../../test/support/test-database';
import { testEnvironment } from '../../../test/support/test-environment';
import { jobIds } from './job-catalogue';

/** Every id the catalogue builds is one BullMQ takes, on the real Redis of the test run. */
describe('jobIds on BullMQ', () => {
  const ids: [string, string][] = [
    ['expireHold', jobIds.expireHold(randomUUID())],
    ['expireHoldRescheduled', jobIds.expireHoldRescheduled(randomUUID(), new Date())],
    ['enforceRestriction', jobIds.enforceRestriction(randomUUID())],
    ['partyDecision', jobIds.partyDecision(randomUUID(), randomUUID())],
    ['partyDecisionRescheduled', jobIds.partyDecisionRescheduled(randomUUID(), randomUUID(), new Date())],
    ['disruptFlight', jobIds.disruptFlight(randomUUID())],
  ];
  let queue: Queue;

  beforeAll(() => {
    queue = new Queue('job-ids', { connection: { url: testEnvironment().redisUrl }, prefix: uniqueQueuePrefix() });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it.each(ids)('%s is accepted by Queue.add and keeps its id', async (_, id) => {
    const job = await queue.add('probe', {}, { jobId: id, delay: 60_000 });
    expect(job.id).toBe(id);
  });
});

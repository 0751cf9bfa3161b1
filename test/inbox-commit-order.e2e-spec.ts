import { randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { buildDataSourceOptions } from '#libs/database';
import { NewNotification } from '#libs/notifications';
import { NotificationsRepository } from '../libs/notifications/src/notifications.repository';
import { KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

/**
 * An inbox's order is its sequence, drawn when a row is inserted; transactions commit in any
 * order. A writer that drew a lower sequence and commits last must still be seen by an agency
 * paging its inbox with limit 1 while the others commit: its notification is never skipped.
 */
describe('inbox writers that commit out of order', () => {
  let stack: KalmaStack;
  let dataSource: DataSource;
  let repository: NotificationsRepository;

  beforeAll(async () => {
    stack = await startKalmaStack();
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: stack.database.url, poolSize: 4, applicationName: 'inbox-order-test' }),
    ).initialize();
    repository = new NotificationsRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await stack?.stop();
  });

  function notification(agencyId: string): NewNotification {
    const bookingId = randomUUID();
    return { agencyId, type: 'booking.cancelled', data: { bookingId, reference: 'KAL-TEST01' }, dedupeKey: `test:${bookingId}` };
  }

  async function openWriter(): Promise<QueryRunner> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    return runner;
  }

  it('a page-through with limit 1 that runs while they commit sees every notification once', async () => {
    const { agencyId, agentKey } = await stack.operations.createAgencyWithAgentKey();
    const agent = new KalmaClient(stack.apis[0].baseUrl, agentKey);

    // The first writer draws its sequence and stays open (a long enforcement chunk, say).
    const first = await openWriter();
    const [firstId] = await repository.insertMany(first.manager, [notification(agencyId)]);
    // Two more writers of the same inbox insert and commit, each on its own connection.
    const later = [0, 1].map(async () => {
      const runner = await openWriter();
      try {
        const [id] = await repository.insertMany(runner.manager, [notification(agencyId)]);
        await runner.commitTransaction();
        return id;
      } finally {
        await runner.release();
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The agency reads one notification while the first writer is still open...
    const seen: string[] = [];
    const firstPage = await agent.get('/v1/notifications?limit=1');
    expect(firstPage.status).toBe(200);
    seen.push(...firstPage.body.data.map((row: { id: string }) => row.id));
    let cursor: string | null = firstPage.body.nextCursor;

    await first.commitTransaction();
    await first.release();
    const laterIds = await Promise.all(later);

    // ...and goes on from where it was (from the start if it had reached the end).
    for (let pages = 0; pages < 10; pages++) {
      const page = await agent.get(`/v1/notifications?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((row: { id: string }) => row.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen)).toEqual(new Set([firstId, ...laterIds]));
    expect(seen).toHaveLength(new Set(seen).size);
  });

  it('an agency that polls what is unacknowledged and acknowledges what it read never acknowledges a notification unseen', async () => {
    const { agencyId, agentKey } = await stack.operations.createAgencyWithAgentKey();
    const agent = new KalmaClient(stack.apis[0].baseUrl, agentKey);
    const seen = new Set<string>();
    /** Reads what is unacknowledged, lets `meanwhile` happen (another commit), then acknowledges up to the newest row read. */
    async function poll(meanwhile: () => Promise<void> = async () => undefined): Promise<void> {
      const page = await agent.get('/v1/notifications?unacknowledged=true&limit=200');
      expect(page.status).toBe(200);
      const ids: string[] = page.body.data.map((row: { id: string }) => row.id);
      ids.forEach((id) => seen.add(id));
      await meanwhile();
      if (ids.length > 0) expect((await agent.post('/v1/notifications/ack', { upTo: ids[ids.length - 1] })).status).toBe(200);
    }

    const older = await openWriter();
    const [olderId] = await repository.insertMany(older.manager, [notification(agencyId)]);
    const newer = dataSource.transaction((manager) => repository.insertMany(manager, [notification(agencyId)]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The older writer commits between the agency's read and its acknowledgement.
    await poll(async () => {
      await older.commitTransaction();
      await older.release();
    });
    const [newerId] = await newer;
    await poll();
    await poll();

    const { rows } = await stack.database.pool.query(`SELECT id FROM notifications WHERE agency_id = $1 AND acknowledged_at IS NOT NULL`, [
      agencyId,
    ]);
    const acknowledged = rows.map((row) => row.id);
    expect(new Set(acknowledged)).toEqual(new Set([olderId, newerId]));
    expect(acknowledged.filter((id) => !seen.has(id))).toEqual([]);
  });

  it('does not hold back the writers of another agency', async () => {
    const one = await stack.operations.createAgencyWithAgentKey();
    const other = await stack.operations.createAgencyWithAgentKey();
    const open = await openWriter();
    try {
      await repository.insertMany(open.manager, [notification(one.agencyId)]);
      const started = Date.now();
      await dataSource.transaction((manager) => repository.insertMany(manager, [notification(other.agencyId)]));
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await open.rollbackTransaction();
      await open.release();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { AgenciesService } from '#libs/access';
import { NewNotification, NotificationsModule, NotificationsService } from '#libs/notifications';
import { NotificationsRepository } from '../../libs/notifications/src/notifications.repository';
import { waitFor } from '../../scripts/harness';
import { IntegrationModule, operationsOrigin, startIntegrationModule } from '../support/integration-module';

/** The outbox and the inbox on the real PostgreSQL: a notification commits with its change, and an inbox reads in commit order. */
describe('notifications outbox and inbox (integration)', () => {
  let kalma: IntegrationModule;
  let outbox: NotificationsRepository;
  let inbox: NotificationsService;

  beforeAll(async () => {
    kalma = await startIntegrationModule([NotificationsModule]);
    outbox = kalma.get(NotificationsRepository);
    inbox = kalma.get(NotificationsService);
  });

  afterAll(async () => {
    await kalma?.close();
  });

  const newAgency = async (): Promise<string> =>
    (await kalma.get(AgenciesService).create({ name: `Inbox ${randomUUID().slice(0, 8)}` }, operationsOrigin())).id;
  const notification = (agencyId: string, dedupeKey = randomUUID()): NewNotification => ({
    agencyId,
    type: 'booking.cancelled',
    data: { bookingId: randomUUID(), reference: 'KLM-TEST', reason: 'operations' },
    dedupeKey,
  });
  const idsInInbox = async (agencyId: string, unacknowledgedOnly = false): Promise<string[]> =>
    (await inbox.inbox(agencyId, { limit: 100, unacknowledgedOnly })).data.map((row) => row.id);

  it('writes a notification only with the change it reports: rolled back, the inbox has nothing', async () => {
    const agencyId = await newAgency();
    await expect(
      kalma.dataSource.transaction(async (manager) => {
        await outbox.insertMany(manager, [notification(agencyId)]);
        throw new Error('the cancellation fails after its notification was written');
      }),
    ).rejects.toThrow('the cancellation fails');
    expect(await idsInInbox(agencyId)).toEqual([]);

    const [id] = await kalma.dataSource.transaction((manager) => outbox.insertMany(manager, [notification(agencyId)]));
    expect(await idsInInbox(agencyId)).toEqual([id]);
  });

  it('writes the same event once, however often it is written again', async () => {
    const agencyId = await newAgency();
    const event = notification(agencyId, `cancelled-${randomUUID()}`);
    const first = await kalma.dataSource.transaction((manager) => outbox.insertMany(manager, [event]));
    const second = await kalma.dataSource.transaction((manager) => outbox.insertMany(manager, [event]));
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
    expect(await idsInInbox(agencyId)).toEqual(first);
  });

  it('orders an inbox by commit: a writer of the same inbox waits for the one before it, another inbox does not', async () => {
    const agencyId = await newAgency();
    const otherAgencyId = await newAgency();
    const older = kalma.dataSource.createQueryRunner();
    await older.connect();
    try {
      await older.startTransaction();
      const [olderId] = await outbox.insertMany(older.manager, [notification(agencyId)]);

      // Another inbox is not held up by the open transaction.
      const [elsewhere] = await kalma.dataSource.transaction((manager) => outbox.insertMany(manager, [notification(otherAgencyId)]));
      expect(await idsInInbox(otherAgencyId)).toEqual([elsewhere]);

      // The same inbox: the newer writer waits (its row would otherwise be read before the older one commits).
      let newerDone = false;
      const newer = kalma.dataSource
        .transaction((manager) => outbox.insertMany(manager, [notification(agencyId)]))
        .then(([id]) => ((newerDone = true), id));
      await waitFor(
        async () =>
          (
            await kalma.database.pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0].n as number,
        (waiting) => waiting > 0,
        { timeoutMs: 5_000, intervalMs: 25, what: 'the newer writer waiting for the inbox lock' },
      );
      expect(newerDone).toBe(false);
      expect(await idsInInbox(agencyId)).toEqual([]);

      await older.commitTransaction();
      const newerId = await newer;
      expect(await idsInInbox(agencyId)).toEqual([olderId, newerId]);
    } finally {
      if (older.isTransactionActive) await older.rollbackTransaction();
      await older.release();
    }
  });

  it('acknowledges up to a notification: it and every older one, not the newer', async () => {
    const agencyId = await newAgency();
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push(...(await kalma.dataSource.transaction((manager) => outbox.insertMany(manager, [notification(agencyId)]))));
    }
    expect(await inbox.acknowledgeUpTo(agencyId, ids[1])).toEqual({ acknowledged: 2, upTo: ids[1] });
    expect(await idsInInbox(agencyId, true)).toEqual([ids[2]]);
    expect(await idsInInbox(agencyId)).toEqual(ids);
    // Another agency's notification is not in this inbox.
    await expect(inbox.acknowledgeUpTo(await newAgency(), ids[2])).rejects.toMatchObject({ code: 'not_found' });
  });
});

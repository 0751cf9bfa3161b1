import { AuditModule } from '#libs/audit';
import { CapacityBelowReserved, CapacityModule, CapacityService } from '#libs/capacity';
import { CapacityRepository } from '../../libs/capacity/src/capacity.repository';
import { waitFor } from '../../scripts/harness';
import { dateFromToday } from '../support/kalma-client';
import { IntegrationModule, operationsOrigin, startIntegrationModule } from '../support/integration-module';

/** CapacityService and CapacityRepository on the real PostgreSQL: decisions are taken on locked counters. */
describe('capacity (integration)', () => {
  let kalma: IntegrationModule;
  let capacity: CapacityService;
  let nights: CapacityRepository;

  beforeAll(async () => {
    kalma = await startIntegrationModule([CapacityModule, AuditModule]);
    capacity = kalma.get(CapacityService);
    nights = kalma.get(CapacityRepository);
  });

  afterAll(async () => {
    await kalma?.close();
  });

  const nightRow = async (date: string) =>
    (await kalma.database.pool.query(`SELECT capacity, reserved, held FROM nights WHERE date = $1`, [date])).rows[0];
  const auditEventsOf = async (date: string) =>
    (
      await kalma.database.pool.query(
        `SELECT action, changes, request_id AS "requestId" FROM audit_events WHERE entity_id = $1 ORDER BY at`,
        [date],
      )
    ).rows;

  it('sets a night’s capacity and writes its audit event with the change', async () => {
    const date = dateFromToday(30);
    const night = await capacity.setCapacity(date, 120, operationsOrigin('set-120'));
    expect(night).toMatchObject({ date, capacity: 120, reserved: 0, held: 0 });
    expect(await nightRow(date)).toEqual({ capacity: 120, reserved: 0, held: 0 });
    expect(await auditEventsOf(date)).toEqual([
      { action: 'capacity.set', changes: { capacity: { from: kalma.config.RESORT_CAPACITY, to: 120 } }, requestId: 'set-120' },
    ]);
  });

  it('refuses a capacity below what is reserved, and changes nothing', async () => {
    const date = dateFromToday(31);
    await nights.ensureNights([date], 100);
    await kalma.database.pool.query(`UPDATE nights SET reserved = 40 WHERE date = $1`, [date]);
    await expect(capacity.setCapacity(date, 39, operationsOrigin())).rejects.toBeInstanceOf(CapacityBelowReserved);
    expect(await nightRow(date)).toEqual({ capacity: 100, reserved: 40, held: 0 });
    expect(await auditEventsOf(date)).toEqual([]);
  });

  it('decides on the counters as they are once it holds the night’s lock, not as they were read before', async () => {
    const date = dateFromToday(32);
    await nights.ensureNights([date], 100);
    // Another transaction (an admission batch) holds the night's lock…
    const other = await kalma.database.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM nights WHERE date = $1 FOR UPDATE`, [date]);
      // …when operations lower the capacity to 50, allowed by the counters as they stand (nothing reserved): it must wait for the lock.
      const change = capacity.setCapacity(date, 50, operationsOrigin()).then(
        () => 'accepted',
        (error: unknown) => error,
      );
      await waitFor(
        async () =>
          (
            await kalma.database.pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0].n as number,
        (waiting) => waiting > 0,
        { timeoutMs: 5_000, intervalMs: 25, what: 'the capacity change waiting for the night lock' },
      );
      // Meanwhile the batch reserves 60 guests and commits: the change must now see them, and refuse.
      await other.query(`UPDATE nights SET reserved = reserved + 60 WHERE date = $1`, [date]);
      await other.query('COMMIT');
      expect(await change).toBeInstanceOf(CapacityBelowReserved);
    } finally {
      other.release();
    }
    expect(await nightRow(date)).toEqual({ capacity: 100, reserved: 60, held: 0 });
    expect(await auditEventsOf(date)).toEqual([]);
  });

  it('lets no change of the counters go beyond capacity: the constraint refuses it and the transaction rolls back', async () => {
    const date = dateFromToday(33);
    await nights.ensureNights([date], 10);
    await expect(
      kalma.dataSource.transaction(async (manager) => {
        await nights.lockAndAddToNights(manager, [{ date, reserved: 8, held: 0 }]);
        await nights.lockAndAddToNights(manager, [{ date, reserved: 3, held: 0 }]);
      }),
    ).rejects.toThrow(/check constraint/i);
    expect(await nightRow(date)).toEqual({ capacity: 10, reserved: 0, held: 0 });
  });

  it('reads the calendar with the default capacity for nights without a row', async () => {
    const from = dateFromToday(40);
    await capacity.setCapacity(dateFromToday(41), 7, operationsOrigin());
    const calendar = await capacity.calendar(from, dateFromToday(43));
    expect(calendar.map((night) => [night.date, night.capacity])).toEqual([
      [from, kalma.config.RESORT_CAPACITY],
      [dateFromToday(41), 7],
      [dateFromToday(42), kalma.config.RESORT_CAPACITY],
    ]);
  });
});

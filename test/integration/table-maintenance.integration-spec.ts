import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUTOVACUUM_OFF_WARNING, TableMaintenance, TableRowVersions } from '#libs/database';
import { IntegrationModule, startIntegrationModule } from '../support/integration-module';

/** What vacuum has to keep up with, read from PostgreSQL's statistics (`TableMaintenance`). */
describe('table maintenance (integration)', () => {
  let kalma: IntegrationModule;

  beforeAll(async () => {
    kalma = await startIntegrationModule([]);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await kalma?.close();
  });

  /** The statistics reach the shared view within about a second of the writing session going idle. */
  async function notificationsOnceCounted(atLeast: { liveRows: number; deadRows: number }): Promise<TableRowVersions> {
    const tables = kalma.get(TableMaintenance);
    for (const startedAt = Date.now(); ; await sleep(200)) {
      const row = (await tables.rowVersions()).find((table) => table.table === 'notifications');
      if ((row && row.liveRows >= atLeast.liveRows && row.deadRows >= atLeast.deadRows) || Date.now() - startedAt > 15_000) {
        if (!row) throw new Error('notifications is not among the tables');
        return row;
      }
    }
  }

  it('counts the dead row versions that rewriting notifications leaves, per table, and every table of the schema', async () => {
    // A table vacuumed since the statistics began would hide its count behind autovacuum's next pass; this one is new.
    const [{ id: agencyId }] = await kalma.database.pool
      .query(`INSERT INTO agencies (name, webhook_secret) VALUES ('Maintenance', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') RETURNING id`)
      .then((result) => result.rows as { id: string }[]);
    await kalma.database.pool.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key)
       SELECT $1, 'booking.cancelled', '{}'::jsonb, 'maintenance:' || i FROM generate_series(1, 300) AS i`,
      [agencyId],
    );
    // Two rewrites of each, as a delivery's claim and its outcome make: 600 dead versions. On one
    // session, which then hands its counts to the shared statistics at once instead of when idle.
    const session = await kalma.database.pool.connect();
    try {
      await session.query(`UPDATE notifications SET delivery_attempts = delivery_attempts + 1 WHERE agency_id = $1`, [agencyId]);
      await session.query(
        `UPDATE notifications SET delivery_state = 'delivered', next_attempt_at = NULL, delivered_at = now() WHERE agency_id = $1`,
        [agencyId],
      );
      await session.query('SELECT pg_stat_force_next_flush()');
      await session.query('SELECT 1');
    } finally {
      session.release();
    }

    const notifications = await notificationsOnceCounted({ liveRows: 300, deadRows: 300 });
    if (notifications.secondsSinceVacuum === null) {
      expect(notifications.liveRows).toBe(300);
      // The second update's 300 at least: reading a full page may prune the first update's versions on the way.
      expect(notifications.deadRows).toBeGreaterThanOrEqual(300);
      expect(notifications.deadRows).toBeLessThanOrEqual(600);
    } else {
      // Autovacuum (where the server runs it) may have cleaned them already, and then says when.
      expect(notifications.secondsSinceVacuum).toBeGreaterThanOrEqual(0);
    }

    const tables = await kalma.get(TableMaintenance).rowVersions();
    expect(tables.map((table) => table.table)).toEqual(expect.arrayContaining(['bookings', 'nights', 'notifications', 'webhook_attempts']));
    // Most dead versions first: the table to look at is on top.
    const dead = tables.map((table) => table.deadRows);
    expect(dead).toEqual([...dead].sort((a, b) => b - a));
  });

  it("warns at boot exactly when the server's autovacuum is off", async () => {
    const [{ autovacuum }] = await kalma.database.pool.query(`SHOW autovacuum`).then((result) => result.rows as { autovacuum: string }[]);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const maintenance = new TableMaintenance(kalma.dataSource);
    await maintenance.onApplicationBootstrap();
    const warnings = warn.mock.calls.map(([message]) => message);
    expect(await maintenance.autovacuumEnabled()).toBe(autovacuum === 'on');
    if (autovacuum === 'on') expect(warnings).not.toContain(AUTOVACUUM_OFF_WARNING);
    else expect(warnings).toContain(AUTOVACUUM_OFF_WARNING);
    warn.mockRestore();
  });

  it('warns, and does not fail the boot, when the database cannot be asked', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // A real data source that is not connected: every query rejects.
    const unconnected = new DataSource({ type: 'postgres', url: kalma.database.url });
    await expect(new TableMaintenance(unconnected).onApplicationBootstrap()).resolves.toBeUndefined();
    expect(warn.mock.calls.map(([message]) => String(message)).some((message) => message.startsWith('could not read'))).toBe(true);
    warn.mockRestore();
  });
});

import { NotificationsModule } from '#libs/notifications';
import { WebhookDeliveriesRepository } from '../../libs/notifications/src/webhooks/webhook-deliveries.repository';
import { IntegrationModule, startIntegrationModule } from '../support/integration-module';

const RATE = 50;
const BURST = RATE / 5;

/**
 * The pace every worker shares while a ban is being enforced (`takeFromSharedPace`), on the real
 * PostgreSQL: callers on separate connections, asking as fast as they can, together never get
 * more than a burst plus the rate, and get about the rate.
 */
describe('shared webhook pace (integration)', () => {
  let kalma: IntegrationModule;
  let repository: WebhookDeliveriesRepository;

  beforeAll(async () => {
    kalma = await startIntegrationModule([NotificationsModule], { env: { DATABASE_POOL_SIZE: '10' } });
    repository = kalma.get(WebhookDeliveriesRepository);
  });

  afterAll(async () => {
    await kalma?.close();
  });

  it('starts full (the row is written on first use) and grants no more than it holds', async () => {
    await kalma.database.pool.query('DELETE FROM webhook_pace');
    // One delivery every 1,000 s: nothing refills while this test runs.
    const slow = { ratePerSecond: 0.001, burst: BURST };
    expect(await repository.takeFromSharedPace(3, slow)).toBe(3);
    expect(await repository.takeFromSharedPace(100, slow)).toBe(BURST - 3);
    expect(await repository.takeFromSharedPace(100, slow)).toBe(0);
    expect(await repository.takeFromSharedPace(0, slow)).toBe(0);
  });

  it('holds eight callers asking at once, all the time, to a burst plus the rate between them', async () => {
    await kalma.database.pool.query('DELETE FROM webhook_pace');
    const started = performance.now();
    const runForMs = 2_000;
    const granted = await Promise.all(
      Array.from({ length: 8 }, async () => {
        let total = 0;
        while (performance.now() - started < runForMs)
          total += await repository.takeFromSharedPace(BURST, { ratePerSecond: RATE, burst: BURST });
        return total;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const total = granted.reduce((sum, count) => sum + count, 0);
    expect(total).toBeLessThanOrEqual(BURST + RATE * seconds);
    // …and, asking all the time, about the rate: at least half of it (a caller stalled longer than a
    // burst's fifth of a second lets the full bucket overflow).
    expect(total).toBeGreaterThanOrEqual((RATE * runForMs) / 1000 / 2);
    const { rows } = await kalma.database.pool.query('SELECT count(*)::int AS rows, min(tokens) >= 0 AS "nonNegative" FROM webhook_pace');
    expect(rows[0]).toEqual({ rows: 1, nonNegative: true });
  });
});

import { NotificationsModule } from '#libs/notifications';
import { WebhookDeliveriesRepository } from '../../libs/notifications/src/webhooks/webhook-deliveries.repository';
import { IntegrationModule, startIntegrationModule } from '../support/integration-module';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * Plans of the webhook delivery statements on the real PostgreSQL, with the statistics that
 * make them go wrong (BENCHMARKS.md, 2026-12-08). The claim, with what a ban leaves: most
 * notifications pending, for a few agencies, and the other agencies with nothing due. Each claim
 * probes every agency; a sequential scan there read the whole table per agency with nothing due
 * (replayed at a million: 5.5 s a claim instead of 10-25 ms). An agency's list of given-up
 * deliveries, with a long history: it walked the agency's every notification (70-78 ms at a million).
 */
describe('webhook delivery plans (integration)', () => {
  let kalma: IntegrationModule;
  let repository: WebhookDeliveriesRepository;

  beforeAll(async () => {
    kalma = await startIntegrationModule([NotificationsModule]);
    repository = kalma.get(WebhookDeliveriesRepository);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await kalma?.close();
  });

  it('reaches the deliveries through the per-agency index, never a scan of the table, when the statistics say most are pending', async () => {
    const agencies = (
      await kalma.database.pool.query(
        `INSERT INTO agencies (name, webhook_url, webhook_secret)
         SELECT 'Plan ' || g, 'https://hooks.example.com/' || g, $1 FROM generate_series(1, 4) AS g
         RETURNING id`,
        [SECRET],
      )
    ).rows.map((row: { id: string }) => row.id);
    const [busy, ...idle] = agencies;
    // The idle agencies' past, delivered; the busy agency's ban, 30,000 pending.
    await kalma.database.pool.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key, delivery_state, next_attempt_at, delivered_at)
       SELECT agency, 'booking.cancelled', '{}'::jsonb, 'delivered:' || agency || ':' || i, 'delivered', NULL, now()
         FROM generate_series(1, 1000) AS i, unnest($1::uuid[]) AS agency`,
      [idle],
    );
    await kalma.database.pool.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key)
       SELECT $1, 'booking.cancelled', '{}'::jsonb, 'pending:' || i FROM generate_series(1, 30000) AS i`,
      [busy],
    );
    await kalma.database.pool.query('ANALYZE notifications');

    const query = jest.spyOn(kalma.dataSource, 'query'); // passes through: the statement is the one production runs
    const claim = await repository.claimDue(200, 60, { concurrency: 100, inHand: new Map() });
    expect(claim.deliveries.length).toBeGreaterThan(0);
    expect(new Set(claim.deliveries.map((delivery) => delivery.agencyId))).toEqual(new Set([busy]));
    const [sql, parameters] = query.mock.calls[0] as [string, unknown[]];
    query.mockRestore();

    const client = await kalma.database.pool.connect();
    try {
      await client.query('BEGIN');
      const explained = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
      const plan = (explained.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
      // The per-agency probes: whether an agency has anything due, and its due deliveries. (Where the
      // update then finds its 200 rows is the planner's to choose: on a table this small, a scan may well be cheaper.)
      const probes = nodes(plan).filter((node) => node['Subplan Name'] === 'CTE active' || node['Subplan Name'] === 'CTE candidates');
      expect(probes).toHaveLength(2);
      const scans = probes.flatMap(nodes).filter((node) => node['Relation Name'] === 'notifications');
      expect(scans.length).toBeGreaterThanOrEqual(2);
      expect(scans.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it("lists an agency's given-up and pending deliveries through their own indexes, not its whole history", async () => {
    const [{ id: agencyId }] = (
      await kalma.database.pool.query(
        `INSERT INTO agencies (name, webhook_url, webhook_secret) VALUES ('Long history', 'https://hooks.example.com/long', $1) RETURNING id`,
        [SECRET],
      )
    ).rows as { id: string }[];
    await kalma.database.pool.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key, delivery_state, next_attempt_at)
       SELECT $1, 'booking.cancelled', '{}'::jsonb, 'given-up:' || i, 'failed', NULL FROM generate_series(1, 3) AS i`,
      [agencyId],
    );
    await kalma.database.pool.query(
      `INSERT INTO notifications (agency_id, type, data, dedupe_key, delivery_state, next_attempt_at, delivered_at)
       SELECT $1, 'booking.cancelled', '{}'::jsonb, 'history:' || i, 'delivered', NULL, now() FROM generate_series(1, 30000) AS i`,
      [agencyId],
    );
    await kalma.database.pool.query('ANALYZE notifications');

    for (const [state, index] of [
      ['failed', 'notifications_agency_failed'],
      ['pending', 'notifications_agency_pending'],
    ] as const) {
      const query = jest.spyOn(kalma.dataSource, 'query');
      const page = await repository.listForAgency(agencyId, { state, limit: 50 });
      const [sql, parameters] = query.mock.calls[0] as [string, unknown[]];
      query.mockRestore();
      expect(page.map((delivery) => delivery.state)).toEqual(state === 'failed' ? ['failed', 'failed', 'failed'] : []);
      const explained = await kalma.database.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
      const scans = nodes((explained.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan).filter(
        (node) => node['Relation Name'] === 'notifications',
      );
      expect(scans.map((node) => node['Index Name'])).toEqual([index]);
    }
  });
});

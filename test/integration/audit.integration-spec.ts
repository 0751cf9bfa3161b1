import { randomUUID } from 'node:crypto';
import { AuditModule, AuditService, NewAuditEvent, systemOrigin } from '#libs/audit';
import { IntegrationModule, operationsOrigin, startIntegrationModule } from '../support/integration-module';

/** AuditService on the real PostgreSQL: an event is written in the caller's transaction, so it exists exactly when the change committed. */
describe('audit trail (integration)', () => {
  let kalma: IntegrationModule;
  let audit: AuditService;

  beforeAll(async () => {
    kalma = await startIntegrationModule([AuditModule]);
    audit = kalma.get(AuditService);
  });

  afterAll(async () => {
    await kalma?.close();
  });

  const restrictionEvent = (entityId: string, origin = operationsOrigin()): NewAuditEvent => ({
    action: 'restriction.created',
    entityType: 'restriction',
    entityId,
    origin,
    changes: { nationalities: { from: null, to: ['US'] } },
  });
  const stored = async (entityId: string): Promise<number> =>
    (await kalma.database.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE entity_id = $1`, [entityId])).rows[0].n;

  it('writes nothing when the caller’s transaction rolls back', async () => {
    const entityId = randomUUID();
    await expect(
      kalma.dataSource.transaction(async (manager) => {
        await audit.record(manager, [restrictionEvent(entityId)]);
        // Inside the transaction the event is there…
        expect(Number((await manager.query(`SELECT count(*) AS n FROM audit_events WHERE entity_id = $1`, [entityId]))[0].n)).toBe(1);
        throw new Error('the change fails after its event was recorded');
      }),
    ).rejects.toThrow('the change fails');
    // …and with the rollback it is gone.
    expect(await stored(entityId)).toBe(0);
  });

  it('is invisible to others until the caller commits, then readable with who, why and what', async () => {
    const entityId = randomUUID();
    const runner = kalma.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await audit.record(runner.manager, [restrictionEvent(entityId, operationsOrigin('request-42'))]);
      expect(await stored(entityId)).toBe(0);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const page = await audit.list({ entityId }, 10);
    expect(page.data).toEqual([
      expect.objectContaining({
        action: 'restriction.created',
        entityType: 'restriction',
        entityId,
        actorType: 'api_key',
        actorRole: 'operations',
        causeType: 'request',
        requestId: 'request-42',
        changes: { nationalities: { from: null, to: ['US'] } },
      }),
    ]);
  });

  it('writes a unit of work’s events in one statement: all of them or none', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const events = ids.map((id) => restrictionEvent(id, systemOrigin({ type: 'restriction', id: ids[0] })));
    // An event the constraints refuse (an API-key actor without its key) takes the others with it.
    const broken = { ...restrictionEvent(randomUUID()), origin: { ...operationsOrigin(), actor: { type: 'api_key', role: 'operations' } } };
    await expect(kalma.dataSource.transaction((manager) => audit.record(manager, [...events, broken as NewAuditEvent]))).rejects.toThrow();
    for (const id of ids) expect(await stored(id)).toBe(0);

    await kalma.dataSource.transaction((manager) => audit.record(manager, events));
    const byCause = await audit.list({ causeId: ids[0] }, 10);
    expect(byCause.data.map((event) => event.entityId).sort()).toEqual([...ids].sort());
  });
});

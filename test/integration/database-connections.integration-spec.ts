import { IntegrationModule, startIntegrationModule } from '../support/integration-module';

/** The session settings every connection of the services' pool starts with (`buildDataSourceOptions`). */
describe('database connections (integration)', () => {
  let kalma: IntegrationModule;

  beforeAll(async () => {
    kalma = await startIntegrationModule([]);
  });

  afterAll(async () => {
    await kalma?.close();
  });

  it('bounds statements and idle transactions, names the application and never JIT-compiles, on every pooled connection', async () => {
    // Five at once, each holding its connection a moment: the pool opens one per query.
    const sessions: { pid: number; jit: string; statementTimeout: string; idleInTransaction: string; applicationName: string }[] =
      await Promise.all(
        Array.from({ length: 5 }, () =>
          kalma.dataSource
            .query(
              `SELECT pg_backend_pid() AS pid, current_setting('jit') AS jit,
                      current_setting('statement_timeout') AS "statementTimeout",
                      current_setting('idle_in_transaction_session_timeout') AS "idleInTransaction",
                      current_setting('application_name') AS "applicationName", pg_sleep(0.1)`,
            )
            .then((rows: never[]) => rows[0]),
        ),
      );
    expect(new Set(sessions.map((session) => session.pid)).size).toBe(5);
    for (const session of sessions) {
      expect(session).toMatchObject({ jit: 'off', statementTimeout: '30s', idleInTransaction: '1min' });
      expect(session.applicationName).not.toBe('');
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { brokenInvariants } from './support/database-snapshot';
import { dateFromToday, guest, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { testEnvironment } from './support/test-environment';
import { waitFor } from '../scripts/harness';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface Attempt {
  kind: 'create' | 'read';
  idempotencyKey?: string;
  body?: unknown;
  result: HttpResult | { status: 0; error: string };
}

/**
 * PostgreSQL goes away under booking load: every connection of the API is terminated,
 * again and again, for two seconds. Requests in that window either succeed or get a 503
 * problem (never a 500, never a hung or dropped connection); afterwards the API recovers on its
 * own, and no booking is half-written.
 */
describe('database outage under booking load', () => {
  let stack: KalmaStack;
  let agent: KalmaClient;
  let admin: Client;

  beforeAll(async () => {
    stack = await startKalmaStack({ env: { DATABASE_POOL_SIZE: '6' } });
    // The test's own pool is terminated too: its idle clients report that as an 'error' event.
    stack.database.pool.on('error', () => undefined);
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    agent = stack.operations.as(agentKey);
    // Terminations are issued from the server's maintenance database, so this client is never among the victims.
    admin = new Client({ connectionString: testEnvironment().postgresServerUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await stack?.stop();
  });

  function bookingRequest(index: number): { body: unknown; idempotencyKey: string } {
    const start = 5 + (index % 20);
    return {
      idempotencyKey: randomUUID(),
      body: {
        checkIn: dateFromToday(start),
        checkOut: dateFromToday(start + 1 + (index % 3)),
        guests: Array.from({ length: 1 + (index % 3) }, (_, position) => guest(position % 2 ? 'CN' : 'RU', `Guest ${index}.${position}`)),
        hold: index % 4 === 0,
      },
    };
  }

  async function attempt(kind: Attempt['kind'], index: number): Promise<Attempt> {
    try {
      if (kind === 'read') return { kind, result: await agent.get(`/v1/capacity?from=${dateFromToday(5)}&to=${dateFromToday(10)}`) };
      const { body, idempotencyKey } = bookingRequest(index);
      return { kind, body, idempotencyKey, result: await agent.createBooking(body, idempotencyKey) };
    } catch (error) {
      return { kind, result: { status: 0, error: String((error as Error).cause ?? error) } };
    }
  }

  /** Closed-loop clients: each sends its next request as soon as the previous one is answered. */
  async function runLoad(clients: number, until: () => boolean): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    let counter = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        while (!until()) attempts.push(await attempt(client % 4 === 3 ? 'read' : 'create', counter++));
      }),
    );
    return attempts;
  }

  /** The distinct errors the API logged as internal errors (to say what to fix when a 500 shows up). */
  function internalErrorsLogged(): string[] {
    const lines = stack.apis[0]
      .output()
      .split('\n')
      .filter((line) => line.includes('"code":"internal_error"'));
    return [
      ...new Set(
        lines.map((line) => {
          const { err } = JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } };
          return `${err?.type}: ${err?.message} at ${err?.stack?.split('\n')[1]?.trim()}`;
        }),
      ),
    ];
  }

  async function terminateApiConnections(): Promise<number> {
    const { rows } = await admin.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [stack.database.name],
    );
    return rows.filter((row) => row.terminated).length;
  }

  it('answers 503 or succeeds during the outage, recovers by itself, and leaves no partial booking', async () => {
    let loadEnds = false;
    const load = runLoad(8, () => loadEnds);

    await sleep(500);
    let terminated = 0;
    const outageEnds = Date.now() + 2_000;
    while (Date.now() < outageEnds) {
      terminated += await terminateApiConnections();
      await sleep(50);
    }
    await sleep(1_000); // load continues while the API reconnects
    loadEnds = true;
    const attempts = await load;

    // 1. The outage was real, and the API process survived it.
    expect(terminated).toBeGreaterThan(10);
    const exitCode = stack.apis[0].child.exitCode;
    expect({ exitCode, lastWords: exitCode === null ? '' : stack.apis[0].output().slice(-3_000) }).toEqual({
      exitCode: null,
      lastWords: '',
    });

    // 2. Every answer during the outage was a success, a capacity refusal or a 503 problem — never a 500 or a dropped connection.
    const unexpected = attempts
      .filter(({ result }) => ![200, 201, 409, 503].includes(result.status))
      .map(({ kind, result }) => `${kind}: ${result.status} ${'body' in result ? JSON.stringify(result.body) : result.error}`);
    expect({ unexpected, serverErrors: unexpected.length > 0 ? internalErrorsLogged() : [] }).toEqual({ unexpected: [], serverErrors: [] });
    const unavailable = attempts.filter(({ result }) => result.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const { result } of unavailable) {
      const answer = result as HttpResult;
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const { result } of attempts.filter((entry) => entry.result.status === 409))
      expect((result as HttpResult).body.code).toBe('capacity_exhausted');
    expect(attempts.filter(({ result }) => result.status === 201).length).toBeGreaterThan(0);

    // 3. Recovery without a restart: the health check and new bookings succeed again within a few seconds...
    const deadline = Date.now() + 10_000;
    const health = await waitFor(
      () => agent.get('/health'),
      (answer) => answer.status === 200,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(health.status).toBe(200);
    const first = await waitFor(
      () => attempt('create', 10_000),
      (created) => created.result.status === 201,
      { timeoutMs: Math.max(deadline - Date.now(), 0), intervalMs: 200 },
    );
    expect(first.result.status).toBe(201);
    // ...and every one after that (no broken connection lingers in the pool).
    const after = await Promise.all(Array.from({ length: 30 }, (_, index) => attempt(index % 4 === 3 ? 'read' : 'create', 20_000 + index)));
    expect(after.map(({ result }) => result.status).filter((status) => status !== 201 && status !== 200 && status !== 409)).toEqual([]);

    // 4. No partial write: every night's counters are exactly the guests of the live bookings staying that night.
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);

    // 5. Exactly once: a request answered 503 and retried with its Idempotency-Key exists once
    //    (created now, or replayed if its first attempt had committed after all), never twice.
    const retried = attempts.filter(({ kind, result }) => kind === 'create' && result.status === 503);
    for (const { body, idempotencyKey } of retried) {
      const again = await agent.createBooking(body, idempotencyKey);
      expect([201, 409]).toContain(again.status);
      const firstGuest = (body as { guests: { fullName: string }[] }).guests[0].fullName;
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS count FROM bookings WHERE guests -> 0 ->> 'fullName' = $1`,
        [firstGuest],
      );
      expect({ firstGuest, bookings: rows[0].count }).toEqual({ firstGuest, bookings: again.status === 201 ? 1 : 0 });
    }
    const createdIds = attempts.filter(({ result }) => result.status === 201).map(({ result }) => (result as HttpResult).body.id as string);
    const { rows: found } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM bookings WHERE id = ANY($1::uuid[])`, [
      createdIds,
    ]);
    expect(found[0].count).toBe(createdIds.length); // a 201 always means a committed booking
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);
  });
});

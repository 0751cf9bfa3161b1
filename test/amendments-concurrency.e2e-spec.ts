import {
  amend,
  bookOrFail,
  deadlocksSoFar,
  FlightFactory,
  holdCountersOutOfBalance,
  party,
  setCapacity,
} from './support/amendment-helpers';
import { brokenInvariants } from './support/database-snapshot';
import { dateFromToday, HttpResult, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { enforcementCompleted, waitForEnforcingWorker, waitForRestriction } from './support/restriction-helpers';

const day = (offset: number): string => dateFromToday(offset);
const pick = <T>(values: T[]): T => values[Math.floor(Math.random() * values.length)];
const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

/** Amendments under real concurrency, across two API processes, against the real database. */
describe('amendments under concurrency (two API processes)', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  /** The same agent key, against each API process. */
  let agents: KalmaClient[];
  let agencyId: string;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 2, workerCount: 1 });
    operations = stack.operations;
    const agency = await operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agents = stack.apis.map((api) => new KalmaClient(api.baseUrl, agency.agentKey));
    await waitForEnforcingWorker(operations);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  afterEach(async () => {
    expect(await brokenInvariants(stack.database.pool)).toEqual([]);
    expect(await holdCountersOutOfBalance(stack.database.pool)).toEqual([]);
  });

  it('amendments racing new bookings on nights with a few places left: counters exact, never over capacity', async () => {
    const first = 10;
    const nights = 4;
    const capacity = 24;
    await setCapacity(operations, first, first + nights, capacity);
    const seeded: string[] = [];
    for (let index = 0; index < 8; index++) {
      const start = index % nights;
      seeded.push(
        (
          await bookOrFail(agents[index % 2], {
            checkIn: day(first + start),
            checkOut: day(first + Math.min(start + 2, nights)),
            guests: party(2),
            hold: index % 3 === 0,
          })
        ).id,
      );
    }
    const stay = (): { checkIn: string; checkOut: string } => {
      const start = randomInt(0, nights - 1);
      return { checkIn: day(first + start), checkOut: day(first + randomInt(start + 1, nights)) };
    };
    const bookings: HttpResult[] = [];
    const amendments: HttpResult[] = [];
    const until = Date.now() + 6_000;
    const booker = async (worker: number): Promise<void> => {
      while (Date.now() < until) bookings.push(await agents[worker % 2].createBooking({ ...stay(), guests: party(randomInt(1, 2)) }));
    };
    const amender = async (worker: number): Promise<void> => {
      while (Date.now() < until)
        amendments.push(await amend(agents[worker % 2], pick(seeded), { ...stay(), guests: party(randomInt(1, 4)) }));
    };
    await Promise.all([
      ...Array.from({ length: 4 }, (_, worker) => booker(worker)),
      ...Array.from({ length: 4 }, (_, worker) => amender(worker)),
    ]);

    for (const response of bookings) expect([201, 409]).toContain(response.status);
    for (const response of amendments) {
      expect({ status: response.status, code: response.body.code }).toEqual(
        response.status === 200
          ? { status: 200, code: undefined }
          : { status: expect.any(Number), code: expect.stringMatching(/^(capacity_exhausted|validation_failed)$/) },
      );
    }
    // The race was real: the nights filled up, amendments went through and were refused.
    expect(bookings.filter((response) => response.status === 409).length).toBeGreaterThan(0);
    expect(amendments.filter((response) => response.status === 200).length).toBeGreaterThan(10);
    expect(amendments.filter((response) => response.body.code === 'capacity_exhausted').length).toBeGreaterThan(0);
    const { rows } = await stack.database.pool.query(`SELECT date::text, reserved, capacity FROM nights WHERE date >= $1 AND date < $2`, [
      day(first),
      day(first + nights),
    ]);
    for (const night of rows) expect(night.reserved).toBeLessThanOrEqual(capacity);
    // No capacity lost: every night's counter is exactly its live guests (afterEach), and some night is full to the last place.
    expect(rows.some((night) => night.reserved >= capacity - 1)).toBe(true);
  });

  it('amendments racing the creation and enforcement of a ban covering the new guests: no live booking with a covered guest at the end', async () => {
    const covered = 'DE';
    const first = 30;
    const seeded: string[] = [];
    for (let index = 0; index < 30; index++) {
      seeded.push(
        (
          await bookOrFail(agents[index % 2], {
            checkIn: day(first + (index % 5)),
            checkOut: day(first + (index % 5) + 2),
            guests: party(1),
          })
        ).id,
      );
    }
    const results: { status: number; code?: string; at: number; addsCovered: boolean }[] = [];
    let stopAt = Date.now() + 15_000;
    let banCreatedAt = Number.POSITIVE_INFINITY;
    let restrictionId: string | undefined;
    const amender = async (worker: number): Promise<void> => {
      for (let attempt = 0; Date.now() < stopAt; attempt++) {
        const addsCovered = (worker + attempt) % 2 === 0;
        const response = await amend(agents[worker % 2], pick(seeded), {
          guests: addsCovered ? party(2, ['RU', covered]) : party(randomInt(1, 2)),
        });
        results.push({ status: response.status, code: response.body?.code, at: Date.now(), addsCovered });
      }
    };
    const applyBan = async (): Promise<void> => {
      while (results.filter((result) => result.status === 200 && result.addsCovered).length < 20 && Date.now() < stopAt) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const created = await operations.post('/v1/restrictions', {
        nationalities: [covered],
        effectiveFrom: new Date().toISOString(),
        effectiveUntil: `${day(first + 10)}T00:00:00+09:00`,
        reason: 'Amendment race',
      });
      expect(created.status).toBe(201);
      restrictionId = created.body.id;
      banCreatedAt = Date.now();
      stopAt = Math.min(stopAt, banCreatedAt + 2_000);
    };
    await Promise.all([...Array.from({ length: 8 }, (_, worker) => amender(worker)), applyBan()]);
    await waitForRestriction(operations, restrictionId as string, enforcementCompleted, 30_000);

    for (const result of results) {
      expect(['200', '400:validation_failed', '409:invalid_state', '422:nationality_restricted']).toContain(
        result.status === 200 ? '200' : `${result.status}:${result.code}`,
      );
    }
    expect(results.filter((result) => result.status === 200 && result.addsCovered && result.at < banCreatedAt).length).toBeGreaterThan(0);
    expect(results.filter((result) => result.code === 'nationality_restricted').length).toBeGreaterThan(0);
    const { rows } = await stack.database.pool.query(
      `SELECT count(*)::int AS live FROM bookings WHERE status IN ('held', 'confirmed') AND $1 = ANY(nationalities) AND check_in >= $2 AND check_in < $3`,
      [covered, day(0), day(first + 10)],
    );
    expect(rows[0].live).toBe(0);
    await operations.post(`/v1/restrictions/${restrictionId}/lift`);
  });

  it('the same booking amended by 20 concurrent requests with one If-Match: exactly one 200, the others 412, version +1', async () => {
    // Five bookings, one burst each: a precondition checked outside the row lock lets several through in most bursts.
    for (let round = 0; round < 5; round++) {
      const booking = await bookOrFail(agents[round % 2], { checkIn: day(50), checkOut: day(52), guests: party(2) });
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          amend(agents[index % 2], booking.id, { checkOut: day(53 + (index % 5)), guests: party(1 + (index % 3)) }, { 'if-match': '"1"' }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, ...Array(19).fill(412)]);
      for (const refused of responses.filter((response) => response.status === 412))
        expect(refused.body).toMatchObject({ code: 'version_mismatch', currentVersion: 2 });
      const winner = responses.find((response) => response.status === 200) as HttpResult;
      const current = (await agents[1].get(`/v1/bookings/${booking.id}`)).body;
      expect(current).toEqual(winner.body);
      expect(current.version).toBe(2);
    }
  });

  it('amendments crosswise with each other, admissions and cancellations never deadlock', async () => {
    const first = 60;
    const flights = new FlightFactory(operations);
    const arriving = [await flights.arriving(day(first), 200), await flights.arriving(day(first + 3), 200)];
    const leaving = [await flights.leaving(day(first + 3), 200), await flights.leaving(day(first + 6), 200)];
    const stays = [
      { checkIn: day(first), checkOut: day(first + 3), outboundFlightId: arriving[0], returnFlightId: leaving[0] },
      { checkIn: day(first + 3), checkOut: day(first + 6), outboundFlightId: arriving[1], returnFlightId: leaving[1] },
    ];
    // Pairs of bookings that swap stays and flights with each other, over and over.
    const pairs: [string, string][] = [];
    for (let index = 0; index < 4; index++) {
      pairs.push([
        (await bookOrFail(agents[0], { ...stays[0], guests: party(2) })).id,
        (await bookOrFail(agents[1], { ...stays[1], guests: party(2) })).id,
      ]);
    }
    const deadlocksBefore = await deadlocksSoFar(stack.database.pool);
    const answers: HttpResult[] = [];
    const until = Date.now() + 6_000;
    const swapper = async (pair: [string, string], index: number): Promise<void> => {
      for (let round = 0; Date.now() < until; round++) {
        const [a, b] = round % 2 === 0 ? pair : [pair[1], pair[0]];
        answers.push(...(await Promise.all([amend(agents[index % 2], a, stays[1]), amend(agents[(index + 1) % 2], b, stays[0])])));
      }
    };
    const bookAndCancel = async (worker: number): Promise<void> => {
      while (Date.now() < until) {
        const created = await agents[worker % 2].createBooking({ ...pick(stays), guests: party(randomInt(1, 3)), hold: worker % 2 === 0 });
        answers.push(created);
        if (created.status === 201) answers.push(await agents[(worker + 1) % 2].post(`/v1/bookings/${created.body.id}/cancel`));
      }
    };
    await Promise.all([
      ...pairs.map((pair, index) => swapper(pair, index)),
      ...Array.from({ length: 4 }, (_, worker) => bookAndCancel(worker)),
    ]);

    const unexpected = answers.filter(
      (answer) => answer.status >= 500 || (answer.status >= 400 && answer.body?.code !== 'validation_failed'),
    );
    expect(unexpected.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`)).toEqual([]);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(20);
    // PostgreSQL's own count: not one deadlock detected (a retried one would not show in the answers).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await deadlocksSoFar(stack.database.pool)) - deadlocksBefore).toBe(0);
  });

  it('amendments racing an enforcement that reduces the same parties keep every counter exact', async () => {
    await stack.database.pool.query(`UPDATE agencies SET party_policy = 'remove_covered_guests' WHERE id = $1`, [agencyId]);
    try {
      const first = 80;
      const seeded: string[] = [];
      for (let index = 0; index < 20; index++) {
        seeded.push(
          (
            await bookOrFail(agents[index % 2], {
              checkIn: day(first),
              checkOut: day(first + 2),
              guests: party(3, ['RU', 'KP', 'CN']),
              hold: index % 2 === 0,
            })
          ).id,
        );
      }
      const until = Date.now() + 4_000;
      let restrictionId: string | undefined;
      const amender = async (worker: number): Promise<void> => {
        while (Date.now() < until) await amend(agents[worker % 2], pick(seeded), { checkOut: day(first + randomInt(1, 3)) });
      };
      const ban = async (): Promise<void> => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        restrictionId = (
          await operations.post('/v1/restrictions', {
            nationalities: ['CN'],
            effectiveFrom: new Date().toISOString(),
            reason: 'Reduce under amendments',
          })
        ).body.id;
      };
      await Promise.all([...Array.from({ length: 4 }, (_, worker) => amender(worker)), ban()]);
      await waitForRestriction(operations, restrictionId as string, enforcementCompleted, 30_000);
      const { rows } = await stack.database.pool.query(
        `SELECT count(*)::int AS live FROM bookings WHERE status IN ('held', 'confirmed') AND 'CN' = ANY(nationalities)`,
      );
      expect(rows[0].live).toBe(0);
      await operations.post(`/v1/restrictions/${restrictionId}/lift`);
    } finally {
      await stack.database.pool.query(`UPDATE agencies SET party_policy = 'cancel_booking' WHERE id = $1`, [agencyId]);
    }
  });
});

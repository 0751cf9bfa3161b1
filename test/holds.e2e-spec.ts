import { Queue } from 'bullmq';
import { jobIds, QUEUES } from '#libs/jobs';
import { waitFor as poll } from '../scripts/harness';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { stackQueue } from './support/stack-redis';

/** Holds keep capacity until they expire; the worker releases them exactly once, even without their job. */
describe('holds', () => {
  let stack: KalmaStack;
  let agent: KalmaClient;
  let agencyId: string;

  beforeAll(async () => {
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1, env: { HOLD_TTL_SECONDS: '2', SWEEP_INTERVAL_SECONDS: '1' } });
    const agency = await stack.operations.createAgencyWithAgentKey();
    agencyId = agency.agencyId;
    agent = new KalmaClient(stack.apis[0].baseUrl, agency.agentKey);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The harness's polling, with this suite's pace: every 200 ms for up to 20 s, then the last answer for the test to assert on. */
  const waitFor = <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> =>
    poll(read, done, { timeoutMs: 20_000, intervalMs: 200 });

  function bookingsQueue(): Queue {
    return stackQueue(stack, QUEUES.bookings);
  }

  async function night(date: string): Promise<{ reserved: number; held: number }> {
    const calendar = await agent.get(`/v1/capacity?from=${date}&to=${dateFromToday(101)}`);
    return calendar.body.nights[0];
  }

  it('holds capacity, then the worker releases it and notifies the agency once', async () => {
    const checkIn = dateFromToday(100);
    const created = await agent.createBooking({ checkIn, checkOut: dateFromToday(101), guests: [guest(), guest('CN')], hold: true });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('held');
    expect(Date.parse(created.body.holdExpiresAt)).toBeGreaterThan(Date.now());
    expect(await night(checkIn)).toMatchObject({ reserved: 2, held: 2 });

    const expired = await waitFor(
      () => agent.get(`/v1/bookings/${created.body.id}`),
      (result) => result.body.status === 'cancelled',
    );
    expect(expired.body.cancellation).toMatchObject({ reason: 'hold_expired' });
    expect(await night(checkIn)).toMatchObject({ reserved: 0, held: 0 });

    const inbox = await waitFor(
      () => agent.get('/v1/notifications'),
      (result) => result.body.data.length > 0,
    );
    const forBooking = inbox.body.data.filter((notification: any) => notification.data.bookingId === created.body.id);
    expect(forBooking).toHaveLength(1);
    expect(forBooking[0]).toMatchObject({
      type: 'booking.hold_expired',
      acknowledgedAt: null,
      data: { reference: created.body.reference },
    });

    // Confirming an expired hold is an invalid state.
    const confirm = await agent.post(`/v1/bookings/${created.body.id}/confirm`);
    expect(confirm.status).toBe(409);
    expect(confirm.body.code).toBe('invalid_state');
  });

  it('releases a hold whose delayed job was lost (the periodic sweep finds it in Postgres)', async () => {
    const checkIn = dateFromToday(100);
    const created = await agent.createBooking({ checkIn, checkOut: dateFromToday(101), guests: [guest()], hold: true });
    expect(created.status).toBe(201);
    // Lose the job, as a flushed Redis would.
    const queue = bookingsQueue();
    const job = await queue.getJob(jobIds.expireHold(created.body.id));
    expect(job).toBeDefined();
    await job?.remove();
    await queue.close();

    const expired = await waitFor(
      () => agent.get(`/v1/bookings/${created.body.id}`),
      (result) => result.body.status === 'cancelled',
    );
    expect(expired.body.cancellation).toMatchObject({ reason: 'hold_expired' });
    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM notifications WHERE data->>'bookingId' = $1`, [
      created.body.id,
    ]);
    expect(rows[0].count).toBe(1);
    expect(await night(checkIn)).toMatchObject({ reserved: 0, held: 0 });
  });

  it("re-schedules a hold's job that runs before the hold ends (clock skew), instead of failing it", async () => {
    const created = await agent.createBooking({ checkIn: dateFromToday(104), checkOut: dateFromToday(105), guests: [guest()], hold: true });
    expect(created.status).toBe(201);
    // The job is due in HOLD_TTL_SECONDS; move the hold's end an hour later, as a clock running behind would see it.
    await stack.database.pool.query(`UPDATE bookings SET hold_expires_at = now() + interval '1 hour' WHERE id = $1`, [created.body.id]);

    const queue = bookingsQueue();
    try {
      const firstId = jobIds.expireHold(created.body.id);
      const first = await waitFor(
        () => queue.getJob(firstId),
        (job) => job?.finishedOn !== undefined || job?.failedReason !== undefined,
      );
      // Not a failed attempt (BullMQ refusing the new job's id would make it one): done, hold not released.
      expect(first?.failedReason).toBeUndefined();
      expect(await first?.getState()).toBe('completed');
      expect(first?.returnvalue).toBe(false);

      const later = (await queue.getDelayed()).filter((job) => job.data.bookingId === created.body.id);
      expect(later).toHaveLength(1);
      expect(later[0].id).not.toBe(firstId);
      expect(later[0].name).toBe('expire-hold');
      // Due when the hold ends: about an hour from when it was re-scheduled.
      expect(later[0].timestamp + later[0].delay).toBeGreaterThan(Date.now() + 55 * 60_000);
      expect(later[0].timestamp + later[0].delay).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
    } finally {
      await queue.close();
    }
    expect((await agent.get(`/v1/bookings/${created.body.id}`)).body.status).toBe('held');
  });

  it('confirms a hold in time: guests stay reserved but are no longer held', async () => {
    const checkIn = dateFromToday(102);
    const created = await agent.createBooking({ checkIn, checkOut: dateFromToday(103), guests: [guest()], hold: true });
    const confirmed = await agent.post(`/v1/bookings/${created.body.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', holdExpiresAt: null });
    const calendar = await agent.get(`/v1/capacity?from=${checkIn}&to=${dateFromToday(103)}`);
    expect(calendar.body.nights[0]).toMatchObject({ reserved: 1, held: 0 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await agent.get(`/v1/bookings/${created.body.id}`)).body.status).toBe('confirmed');
  });

  it('acknowledges notifications up to one of them', async () => {
    const inbox = await agent.get('/v1/notifications');
    expect(inbox.body.data.length).toBeGreaterThanOrEqual(2);
    const first = inbox.body.data[0];
    const ack = await agent.post('/v1/notifications/ack', { upTo: first.id });
    expect(ack.status).toBe(200);
    const after = await agent.get('/v1/notifications?unacknowledged=true');
    expect(after.body.data.map((notification: any) => notification.id)).not.toContain(first.id);
    expect(after.body.data.length).toBe(inbox.body.data.length - 1);
    const { rows } = await stack.database.pool.query(`SELECT count(*)::int AS count FROM notifications WHERE agency_id = $1`, [agencyId]);
    expect(rows[0].count).toBe(inbox.body.data.length);
  });
});

import { randomUUID } from 'node:crypto';
import { jobIds } from './job-catalogue';

/** The ids' shape; that BullMQ takes each of them is job-catalogue.integration-spec.ts, on the real Redis. */
describe('jobIds', () => {
  const ids: [string, string][] = [
    ['expireHold', jobIds.expireHold(randomUUID())],
    ['expireHoldRescheduled', jobIds.expireHoldRescheduled(randomUUID(), new Date())],
    ['enforceRestriction', jobIds.enforceRestriction(randomUUID())],
    ['partyDecision', jobIds.partyDecision(randomUUID(), randomUUID())],
    ['partyDecisionRescheduled', jobIds.partyDecisionRescheduled(randomUUID(), randomUUID(), new Date())],
    ['disruptFlight', jobIds.disruptFlight(randomUUID())],
  ];

  it.each(ids)('%s has no ":" (BullMQ docs: custom ids must not contain the key separator)', (_, id) => {
    expect(id).not.toContain(':');
  });

  it('gives each re-schedule of a hold its own id, apart from the first job', () => {
    const bookingId = randomUUID();
    const first = jobIds.expireHoldRescheduled(bookingId, new Date(1_000));
    const second = jobIds.expireHoldRescheduled(bookingId, new Date(2_000));
    expect(new Set([jobIds.expireHold(bookingId), first, second]).size).toBe(3);
  });
});

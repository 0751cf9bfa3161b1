import { segmentRefusal, SegmentContext } from './flight-segment-rules';

const context: SegmentContext = {
  checkIn: '2027-07-01',
  checkOut: '2027-07-05',
  resortAirport: 'WOS',
  resortTimeZone: 'Asia/Pyongyang',
  now: new Date('2027-06-01T00:00:00Z'),
};

/** Vladivostok → Wonsan, landing 2027-07-01 00:30 resort time (UTC+9) = 2027-06-30 15:30 UTC. */
const inbound = {
  origin: 'VVO',
  destination: 'WOS',
  departureAt: new Date('2027-06-30T23:10:00+10:00'),
  arrivalAt: new Date('2027-07-01T00:30:00+09:00'),
  status: 'scheduled' as const,
};
const outbound = {
  origin: 'WOS',
  destination: 'VVO',
  departureAt: new Date('2027-07-05T23:50:00+09:00'),
  arrivalAt: new Date('2027-07-06T02:05:00+10:00'),
  status: 'scheduled' as const,
};

describe('segmentRefusal', () => {
  it('accepts an outbound flight landing at the resort on the check-in date, resort time', () => {
    expect(segmentRefusal('outbound', 'f1', inbound, context)).toBeUndefined();
  });

  it('accepts a return flight leaving the resort on the check-out date, resort time', () => {
    expect(segmentRefusal('return', 'f2', outbound, context)).toBeUndefined();
  });

  it('judges the date in resort time, not UTC', () => {
    // 2027-06-30T15:30Z is still June 30th in UTC but July 1st at the resort.
    expect(inbound.arrivalAt.toISOString().slice(0, 10)).toBe('2027-06-30');
    expect(segmentRefusal('outbound', 'f1', inbound, context)).toBeUndefined();
    const lateArrival = { ...inbound, arrivalAt: new Date('2027-07-01T15:30:00Z') }; // 00:30 on July 2nd at the resort
    expect(segmentRefusal('outbound', 'f1', lateArrival, context)).toMatchObject({
      code: 'flight_mismatch',
      extensions: { reason: 'wrong_date' },
    });
  });

  it('refuses an unknown flight as a mismatch', () => {
    expect(segmentRefusal('outbound', 'nope', undefined, context)).toMatchObject({
      code: 'flight_mismatch',
      status: 422,
      extensions: { flightId: 'nope', segment: 'outbound', reason: 'unknown_flight' },
    });
  });

  it('refuses a flight in the wrong direction', () => {
    expect(segmentRefusal('outbound', 'f2', outbound, context)).toMatchObject({
      code: 'flight_mismatch',
      extensions: { reason: 'wrong_airport' },
    });
    expect(segmentRefusal('return', 'f1', inbound, context)).toMatchObject({
      code: 'flight_mismatch',
      extensions: { reason: 'wrong_airport' },
    });
  });

  it('refuses a return flight on another day than check-out', () => {
    const early = { ...outbound, departureAt: new Date('2027-07-04T10:00:00+09:00') };
    expect(segmentRefusal('return', 'f2', early, context)).toMatchObject({ code: 'flight_mismatch', extensions: { reason: 'wrong_date' } });
  });

  it('refuses a cancelled flight that otherwise fits as unavailable, a cancelled wrong one as a mismatch', () => {
    expect(segmentRefusal('outbound', 'f1', { ...inbound, status: 'cancelled' }, context)).toMatchObject({
      code: 'flight_unavailable',
      status: 409,
    });
    expect(segmentRefusal('outbound', 'f2', { ...outbound, status: 'cancelled' }, context)).toMatchObject({ code: 'flight_mismatch' });
  });

  it('refuses a flight that has departed (flight_unavailable), even one that fits the stay', () => {
    const atDeparture = { ...context, now: inbound.departureAt };
    expect(segmentRefusal('outbound', 'f1', inbound, atDeparture)).toMatchObject({
      code: 'flight_unavailable',
      extensions: { reason: 'departed' },
    });
    const justBefore = { ...context, now: new Date(inbound.departureAt.getTime() - 1) };
    expect(segmentRefusal('outbound', 'f1', inbound, justBefore)).toBeUndefined();
    const afterLanding = { ...context, now: new Date('2027-07-05T23:55:00+09:00') };
    expect(segmentRefusal('return', 'f2', outbound, afterLanding)).toMatchObject({
      code: 'flight_unavailable',
      extensions: { reason: 'departed' },
    });
  });

  it('reports a departed flight that does not fit the stay as the wrong flight', () => {
    const late = { ...context, checkIn: '2027-07-02', now: new Date('2027-07-02T00:00:00Z') };
    expect(segmentRefusal('outbound', 'f1', inbound, late)).toMatchObject({ code: 'flight_mismatch' });
  });
});

import { startOfLocalDate } from './flights.service';
import { sumSeatDeltas } from './flights.repository';

describe('startOfLocalDate', () => {
  it('is local midnight in the resort time zone', () => {
    expect(startOfLocalDate('2027-07-01', 'Asia/Pyongyang').toISOString()).toBe('2027-06-30T15:00:00.000Z');
  });

  it('follows daylight-saving offsets', () => {
    expect(startOfLocalDate('2027-01-15', 'Europe/Berlin').toISOString()).toBe('2027-01-14T23:00:00.000Z');
    expect(startOfLocalDate('2027-07-15', 'Europe/Berlin').toISOString()).toBe('2027-07-14T22:00:00.000Z');
    expect(startOfLocalDate('2027-03-14', 'America/New_York').toISOString()).toBe('2027-03-14T05:00:00.000Z');
  });
});

describe('sumSeatDeltas', () => {
  it('sums per flight, drops zeros and sorts by id (the lock order)', () => {
    expect(
      sumSeatDeltas([
        { flightId: 'b', seats: 2 },
        { flightId: 'a', seats: 1 },
        { flightId: 'b', seats: 3 },
        { flightId: 'c', seats: 4 },
        { flightId: 'c', seats: -4 },
      ]),
    ).toEqual([
      { flightId: 'a', seats: 1 },
      { flightId: 'b', seats: 5 },
    ]);
  });
});

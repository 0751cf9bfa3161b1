import fc from 'fast-check';
import { nightDeltasFor, sumNightDeltas } from './night-deltas';

describe('nightDeltasFor', () => {
  it('sums overlapping stays per night, sorted by date', () => {
    const deltas = nightDeltasFor(
      [
        { checkIn: '2027-07-02', checkOut: '2027-07-04', guests: 2, held: false },
        { checkIn: '2027-07-01', checkOut: '2027-07-03', guests: 3, held: true },
      ],
      1,
    );
    expect(deltas).toEqual([
      { date: '2027-07-01', reserved: 3, held: 3 },
      { date: '2027-07-02', reserved: 5, held: 3 },
      { date: '2027-07-03', reserved: 2, held: 0 },
    ]);
  });

  it('walks stays across month and year ends and sorts the nights chronologically', () => {
    expect(
      nightDeltasFor(
        [
          { checkIn: '2027-12-30', checkOut: '2028-01-02', guests: 1, held: false },
          { checkIn: '2027-02-27', checkOut: '2027-03-02', guests: 2, held: false },
        ],
        1,
      ),
    ).toEqual([
      { date: '2027-02-27', reserved: 2, held: 0 },
      { date: '2027-02-28', reserved: 2, held: 0 },
      { date: '2027-03-01', reserved: 2, held: 0 },
      { date: '2027-12-30', reserved: 1, held: 0 },
      { date: '2027-12-31', reserved: 1, held: 0 },
      { date: '2028-01-01', reserved: 1, held: 0 },
    ]);
  });

  it('releases with negative deltas', () => {
    expect(nightDeltasFor([{ checkIn: '2027-07-01', checkOut: '2027-07-02', guests: 4, held: true }], -1)).toEqual([
      { date: '2027-07-01', reserved: -4, held: -4 },
    ]);
  });
});

describe('sumNightDeltas', () => {
  const stay = fc
    .record({
      start: fc.integer({ min: 0, max: 60 }),
      nights: fc.integer({ min: 1, max: 5 }),
      guests: fc.integer({ min: 1, max: 9 }),
      held: fc.boolean(),
    })
    .map(({ start, nights, guests, held }) => ({
      checkIn: new Date(Date.UTC(2027, 11, 20 + start)).toISOString().slice(0, 10),
      checkOut: new Date(Date.UTC(2027, 11, 20 + start + nights)).toISOString().slice(0, 10),
      guests,
      held,
    }));

  it('gives, for stays split into two groups summed apart (as PostgreSQL and the worker do), what summing them all at once gives', () => {
    fc.assert(
      fc.property(fc.array(stay, { maxLength: 20 }), fc.array(stay, { maxLength: 20 }), (first, second) => {
        expect(sumNightDeltas([...nightDeltasFor(first, -1), ...nightDeltasFor(second, -1)])).toEqual(
          nightDeltasFor([...first, ...second], -1),
        );
      }),
    );
  });
});

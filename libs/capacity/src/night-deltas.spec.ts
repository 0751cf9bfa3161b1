import { nightDeltasFor } from './night-deltas';

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

import { ValidationFailed } from '../errors/domain-error';
import fc from 'fast-check';
import { decodeCursor, decodeTimestampCursor, encodeCursor, pageOf } from './cursor';

describe('cursors', () => {
  it('round-trips a position', () => {
    const cursor = encodeCursor('bookings', { createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' });
    expect(decodeCursor('bookings', cursor, ['createdAt', 'id'])).toMatchObject({ createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' });
  });

  it.each([
    '',
    'not-base64!',
    encodeCursor('bookings', { other: 1 }),
    Buffer.from('[1,2]').toString('base64url'),
    // Same shape, but handed out by another list, or by no list at all.
    encodeCursor('restrictions', { createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' }),
    Buffer.from(JSON.stringify({ createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' })).toString('base64url'),
  ])('refuses a cursor this list did not make: %p', (cursor) => {
    expect(() => decodeCursor('bookings', cursor, ['createdAt', 'id'])).toThrow(ValidationFailed);
  });

  describe('on (timestamp, id)', () => {
    const id = '0b7c6f5e-2d4a-4c1b-9e8f-7a6b5c4d3e2f';

    it('keeps the timestamp to the microsecond, as PostgreSQL stores it', () => {
      const cursor = encodeCursor('agencies', { createdAt: '2027-07-01T08:15:30.123456Z', id });
      expect(decodeTimestampCursor('agencies', cursor, 'createdAt')).toEqual({ createdAt: '2027-07-01T08:15:30.123456Z', id });
    });

    it('takes a timestamp with milliseconds only', () => {
      const cursor = encodeCursor('flights', { departureAt: '2027-07-01T08:15:30.123Z', id });
      expect(decodeTimestampCursor('flights', cursor, 'departureAt')).toEqual({ departureAt: '2027-07-01T08:15:30.123Z', id });
    });

    it.each([
      ['a date that does not exist', { createdAt: '2027-02-30T00:00:00.000000Z', id }],
      ['year 0 (PostgreSQL has none)', { createdAt: '0000-01-01T00:00:00.000000Z', id }],
      ['an hour 24', { createdAt: '2027-01-01T24:00:00.000000Z', id }],
      ['seven fractional digits', { createdAt: '2027-01-01T00:00:00.1234567Z', id }],
      ['no time zone', { createdAt: '2027-01-01T00:00:00', id }],
      ['a number for the timestamp', { createdAt: 1_700_000_000_000, id }],
      ['an id that is not a UUID', { createdAt: '2027-01-01T00:00:00.000000Z', id: 'abc' }],
      ['the key of another list', { departureAt: '2027-01-01T00:00:00.000000Z', id }],
    ])('refuses %s (400, not a database error)', (_, position) => {
      expect(() => decodeTimestampCursor('bookings', encodeCursor('bookings', position), 'createdAt')).toThrow(ValidationFailed);
    });
  });

  it('pages through any list: every row once, in order, a cursor on every page but the last', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (values, limit) => {
        const rows = values.map((value, sequence) => ({ sequence, value }));
        // The query of a list: the rows after the cursor's position, limit + 1 of them.
        const query = (after: number) => rows.filter((row) => row.sequence > after).slice(0, limit + 1);
        const seen: typeof rows = [];
        let after = -1;
        for (;;) {
          const page = pageOf(query(after), limit, 'notifications', (last) => ({ sequence: last.sequence }));
          // Only the first page of an empty list is empty: a cursor never leads to nothing.
          if (after !== -1) expect(page.data.length).toBeGreaterThan(0);
          seen.push(...page.data);
          if (page.nextCursor === null) break;
          expect(page.data).toHaveLength(limit);
          after = decodeCursor<{ sequence: number }>('notifications', page.nextCursor, ['sequence']).sequence;
        }
        expect(seen).toEqual(rows);
      }),
    );
  });
});

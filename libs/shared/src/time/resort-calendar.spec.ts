import fc from 'fast-check';
import { addDays, dateOfDayNumber, dayNumberOf, daysBetween, isCalendarDate, localDateOf, nightsOfStay } from './resort-calendar';

describe('resort calendar', () => {
  it('accepts real dates only', () => {
    expect(isCalendarDate('2027-07-01')).toBe(true);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(isCalendarDate('2027-02-30')).toBe(false);
    expect(isCalendarDate('2027-13-01')).toBe(false);
    expect(isCalendarDate('2027-7-1')).toBe(false);
    expect(isCalendarDate('2027-07-01T00:00:00Z')).toBe(false);
    expect(isCalendarDate(20270701)).toBe(false);
  });

  it('counts the nights of a stay [checkIn, checkOut)', () => {
    expect(nightsOfStay('2027-07-01', '2027-07-05')).toEqual(['2027-07-01', '2027-07-02', '2027-07-03', '2027-07-04']);
    expect(nightsOfStay('2027-12-30', '2028-01-02')).toEqual(['2027-12-30', '2027-12-31', '2028-01-01']);
    expect(nightsOfStay('2027-07-05', '2027-07-05')).toEqual([]);
    expect(daysBetween('2027-07-01', '2027-07-05')).toBe(4);
    expect(daysBetween('2027-07-05', '2027-07-01')).toBe(-4);
  });

  it('numbers days consecutively and names them back', () => {
    expect(dayNumberOf('1970-01-01')).toBe(0);
    expect(dayNumberOf('2028-03-01') - dayNumberOf('2028-02-28')).toBe(2);
    for (const date of ['2026-12-31', '2027-01-01', '2028-02-29', '2027-03-28', '2027-10-31']) {
      expect(dateOfDayNumber(dayNumberOf(date))).toBe(date);
      expect(dateOfDayNumber(dayNumberOf(date) + 1)).toBe(addDays(date, 1));
    }
    expect(() => dayNumberOf('2027-02-29')).toThrow(RangeError);
  });

  it('adds days across month, year and daylight-saving boundaries', () => {
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(addDays('2027-03-28', 1)).toBe('2027-03-29'); // DST starts in Europe that night
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
  });

  it('finds the resort-local date of an instant', () => {
    // 15:30 UTC on 30 June is already 1 July in Pyongyang (UTC+9).
    expect(localDateOf(new Date('2027-06-30T15:30:00Z'), 'Asia/Pyongyang')).toBe('2027-07-01');
    expect(localDateOf(new Date('2027-06-30T14:59:59Z'), 'Asia/Pyongyang')).toBe('2027-06-30');
    expect(localDateOf(new Date('2027-06-30T23:00:00Z'), 'America/New_York')).toBe('2027-06-30');
  });

  it('answers repeated questions from the same second without mixing time zones or crossing midnight', () => {
    expect(localDateOf(new Date('2027-06-30T14:59:59.001Z'), 'Asia/Pyongyang')).toBe('2027-06-30');
    expect(localDateOf(new Date('2027-06-30T14:59:59.999Z'), 'Asia/Pyongyang')).toBe('2027-06-30');
    expect(localDateOf(new Date('2027-06-30T14:59:59.999Z'), 'Pacific/Kiritimati')).toBe('2027-07-01');
    expect(localDateOf(new Date('2027-06-30T15:00:00.000Z'), 'Asia/Pyongyang')).toBe('2027-07-01');
    expect(localDateOf(new Date('2027-06-30T14:59:59.500Z'), 'Asia/Pyongyang')).toBe('2027-06-30');
  });

  describe('agrees with Date, the arithmetic it replaced', () => {
    /** The implementation before: a regular expression and a Date per date. */
    const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
    function referenceMidnight(value: string): number | undefined {
      const match = DATE_PATTERN.exec(value);
      if (!match) return undefined;
      const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
      const date = new Date(Date.UTC(year, month - 1, day));
      return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date.getTime() : undefined;
    }
    const referenceDateAt = (midnight: number): string => new Date(midnight).toISOString().slice(0, 10);
    const pad = (value: number, width: number): string => String(value).padStart(width, '0');
    /** Strings shaped like dates, most of them impossible ones (month 13, day 31 of April, year 0042…). */
    const dateLike = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
      .map(([year, month, day]) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);
    /** Day numbers of years 0–9999. */
    const dayNumber = fc.integer({ min: -719_528, max: 2_932_896 });

    it('accepts and places exactly the dates Date does', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            dateLike,
            fc.string({ maxLength: 12 }),
            fc.constantFrom(
              '2027-02-29',
              '2028-02-29',
              '2100-02-29',
              '2000-02-29',
              '0099-12-31',
              '0100-01-01',
              '2027-07-01 ',
              '+02027-07-01',
            ),
          ),
          (text) => {
            const expected = referenceMidnight(text);
            expect(isCalendarDate(text)).toBe(expected !== undefined);
            if (expected !== undefined) expect(dayNumberOf(text)).toBe(expected / 86_400_000);
          },
        ),
        { numRuns: 20_000 },
      );
    });

    it('names every day number as Date does, and back', () => {
      fc.assert(
        fc.property(dayNumber, (day) => {
          const name = dateOfDayNumber(day);
          expect(name).toBe(referenceDateAt(day * 86_400_000));
          if (referenceMidnight(name) !== undefined) expect(dayNumberOf(name)).toBe(day);
        }),
        { numRuns: 20_000 },
      );
    });

    it('walks stays across any boundary as Date does', () => {
      fc.assert(
        fc.property(fc.integer({ min: -25_000, max: 2_900_000 }), fc.integer({ min: -3, max: 40 }), (first, length) => {
          const checkIn = referenceDateAt(first * 86_400_000);
          const checkOut = referenceDateAt((first + length) * 86_400_000);
          const expected = Array.from({ length: Math.max(length, 0) }, (_, index) => referenceDateAt((first + index) * 86_400_000));
          expect(nightsOfStay(checkIn, checkOut)).toEqual(expected);
          expect(daysBetween(checkIn, checkOut)).toBe(length);
          expect(addDays(checkIn, length)).toBe(checkOut);
        }),
        { numRuns: 5_000 },
      );
    });
  });
});

import fc from 'fast-check';
import { addDays, resortInstant, resortNowLocal, resortToday } from '../src/time';

/** The wall-clock minute of `instant` in `timeZone`, as a datetime-local field shows it. */
function wallClock(instant: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(instant));
  const value = (type: string) => parts.find((part) => part.type === type)?.value;
  return `${value('year')}-${value('month')}-${value('day')}T${value('hour')}:${value('minute')}`;
}

describe('console time (resort zone, whatever the browser zone)', () => {
  const zones = ['Asia/Pyongyang', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'UTC'];

  it('turns a resort wall-clock time into an instant with the offset that gives back that wall-clock time', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }), (timeZone, at) => {
        const local = resortNowLocal(timeZone, at);
        const instant = resortInstant(local, timeZone);
        expect(instant).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00[+-]\d{2}:\d{2}$/);
        expect(wallClock(instant, timeZone)).toBe(local);
        // The instant is the minute `at` falls in (or, in a repeated hour, the same wall minute an hour apart).
        expect([0, 3_600_000, 1_800_000]).toContain(Math.abs(Date.parse(instant) - Math.floor(at / 60_000) * 60_000));
      }),
    );
  });

  it('knows the resort date at the day boundary: Pyongyang is UTC+9', () => {
    expect(resortToday('Asia/Pyongyang', new Date('2027-06-30T14:59:59Z'))).toBe('2027-06-30');
    expect(resortToday('Asia/Pyongyang', new Date('2027-06-30T15:00:00Z'))).toBe('2027-07-01');
    expect(resortInstant('2027-07-01T00:00', 'Asia/Pyongyang')).toBe('2027-07-01T00:00:00+09:00');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});

import {
  adultBornBy,
  isAdultOn,
  partyOutcome,
  Coverage,
  covers,
  coveredNationalities,
  isInWindow,
  refusalFor,
  RestrictionTerms,
  statusOf,
  windowOf,
} from './restriction-rules';

const list = (...nationalities: string[]): Coverage => ({ allForeign: false, nationalities });
const allForeign = (...except: string[]): Coverage => ({ allForeign: true, homeCountry: 'KP', except });

function restriction(overrides: Partial<RestrictionTerms> = {}): RestrictionTerms {
  return {
    id: 'r-1',
    coverage: list('US'),
    window: { from: '2027-07-01', to: '2027-08-01' },
    effectiveFrom: new Date('2027-06-30T15:00:00Z'),
    effectiveUntil: new Date('2027-07-31T15:00:00Z'),
    liftedAt: null,
    ...overrides,
  };
}

describe('covers', () => {
  it('covers exactly the listed nationalities', () => {
    expect(covers(list('US', 'GB'), 'US')).toBe(true);
    expect(covers(list('US', 'GB'), 'GB')).toBe(true);
    expect(covers(list('US', 'GB'), 'RU')).toBe(false);
    expect(covers(list('US'), 'KP')).toBe(false);
  });

  it('covers every foreigner but never the home country', () => {
    expect(covers(allForeign(), 'US')).toBe(true);
    expect(covers(allForeign(), 'RU')).toBe(true);
    expect(covers(allForeign(), 'KP')).toBe(false);
  });

  it('spares the exceptions of an all-foreigners restriction', () => {
    expect(covers(allForeign('RU'), 'RU')).toBe(false);
    expect(covers(allForeign('RU'), 'CN')).toBe(true);
    expect(covers(allForeign('RU', 'CN'), 'CN')).toBe(false);
  });

  it('names the covered nationalities of a party, once each, sorted', () => {
    expect(coveredNationalities(allForeign('RU'), ['US', 'RU', 'KP', 'GB', 'US'])).toEqual(['GB', 'US']);
    expect(coveredNationalities(list('CN'), ['RU', 'KP'])).toEqual([]);
  });
});

describe('windowOf', () => {
  it('runs from the resort-local date of effectiveFrom up to that of effectiveUntil', () => {
    // 2027-06-30T15:00Z is 2027-07-01 00:00 in Pyongyang (UTC+9).
    expect(windowOf(new Date('2027-06-30T15:00:00Z'), new Date('2027-07-10T14:59:00Z'), 'Asia/Pyongyang')).toEqual({
      from: '2027-07-01',
      to: '2027-07-10',
    });
    expect(windowOf(new Date('2027-06-30T14:59:00Z'), null, 'Asia/Pyongyang')).toEqual({ from: '2027-06-30', to: null });
  });

  it('includes its first date and excludes its last', () => {
    const window = { from: '2027-07-01', to: '2027-07-10' };
    expect(isInWindow(window, '2027-06-30')).toBe(false);
    expect(isInWindow(window, '2027-07-01')).toBe(true);
    expect(isInWindow(window, '2027-07-09')).toBe(true);
    expect(isInWindow(window, '2027-07-10')).toBe(false);
  });

  it('is open-ended without effectiveUntil', () => {
    expect(isInWindow({ from: '2027-07-01', to: null }, '2099-01-01')).toBe(true);
    expect(isInWindow({ from: '2027-07-01', to: null }, '2027-06-30')).toBe(false);
  });
});

describe('statusOf', () => {
  const terms = restriction();
  it('is scheduled before effectiveFrom, active from it, expired from effectiveUntil', () => {
    expect(statusOf(terms, new Date('2027-06-30T14:59:59Z'))).toBe('scheduled');
    expect(statusOf(terms, new Date('2027-06-30T15:00:00Z'))).toBe('active');
    expect(statusOf(terms, new Date('2027-07-31T14:59:59Z'))).toBe('active');
    expect(statusOf(terms, new Date('2027-07-31T15:00:00Z'))).toBe('expired');
  });

  it('is lifted once lifted, whatever the time', () => {
    const lifted = restriction({ liftedAt: new Date('2027-06-01T00:00:00Z') });
    expect(statusOf(lifted, new Date('2027-05-01T00:00:00Z'))).toBe('lifted');
    expect(statusOf(lifted, new Date('2027-07-05T00:00:00Z'))).toBe('lifted');
  });

  it('never expires without effectiveUntil', () => {
    expect(statusOf(restriction({ effectiveUntil: null }), new Date('2099-01-01T00:00:00Z'))).toBe('active');
  });
});

describe('refusalFor', () => {
  const before = new Date('2027-06-01T00:00:00Z');
  const during = new Date('2027-07-05T00:00:00Z');

  it('refuses a party with a covered guest checking in within the window, scheduled or active', () => {
    for (const now of [before, during]) {
      expect(refusalFor([restriction()], { checkIn: '2027-07-05', nationalities: ['RU', 'US'] }, now)).toEqual({
        restrictionId: 'r-1',
        nationalities: ['US'],
        window: { from: '2027-07-01', to: '2027-08-01' },
      });
    }
  });

  it('admits parties with no covered guest, or checking in outside the window', () => {
    expect(refusalFor([restriction()], { checkIn: '2027-07-05', nationalities: ['RU', 'KP'] }, before)).toBeUndefined();
    expect(refusalFor([restriction()], { checkIn: '2027-06-30', nationalities: ['US'] }, before)).toBeUndefined();
    expect(refusalFor([restriction()], { checkIn: '2027-08-01', nationalities: ['US'] }, before)).toBeUndefined();
  });

  it('ignores lifted and expired restrictions', () => {
    const lifted = restriction({ liftedAt: new Date('2027-07-02T00:00:00Z') });
    expect(refusalFor([lifted], { checkIn: '2027-07-20', nationalities: ['US'] }, during)).toBeUndefined();
    const expired = restriction({ effectiveUntil: new Date('2027-07-04T00:00:00Z'), window: { from: '2027-07-01', to: '2027-08-01' } });
    expect(refusalFor([expired], { checkIn: '2027-07-20', nationalities: ['US'] }, during)).toBeUndefined();
  });

  it('names the first restriction that refuses', () => {
    const first = restriction({ id: 'r-1', coverage: list('CN') });
    const second = restriction({ id: 'r-2', coverage: allForeign('RU') });
    const third = restriction({ id: 'r-3', coverage: list('US') });
    expect(refusalFor([first, second, third], { checkIn: '2027-07-05', nationalities: ['US', 'RU'] }, during)?.restrictionId).toBe('r-2');
  });

  it('lets the home country through an all-foreigners restriction', () => {
    const ban = restriction({ coverage: allForeign() });
    expect(refusalFor([ban], { checkIn: '2027-07-05', nationalities: ['KP'] }, during)).toBeUndefined();
    expect(refusalFor([ban], { checkIn: '2027-07-05', nationalities: ['KP', 'RU'] }, during)?.nationalities).toEqual(['RU']);
  });
});

describe('isAdultOn', () => {
  it('is 18 or older on the check-in date; without a date of birth, an adult', () => {
    expect(isAdultOn('2009-07-01', '2027-07-01')).toBe(true);
    expect(isAdultOn('2009-07-02', '2027-07-01')).toBe(false);
    expect(isAdultOn(undefined, '2027-07-01')).toBe(true);
    expect(isAdultOn(null, '2027-07-01')).toBe(true);
  });

  it('turns someone born on 29 February 18 on 1 March of a common year, as Postgres date arithmetic does', () => {
    expect(adultBornBy('2028-02-29')).toBe('2010-02-28');
    expect(isAdultOn('2008-02-29', '2026-02-28')).toBe(false);
    expect(isAdultOn('2008-02-29', '2026-03-01')).toBe(true);
  });
});

describe('partyOutcome', () => {
  const usBan: Coverage = { allForeign: false, nationalities: ['US'] };
  const adult = (nationality: string) => ({ nationality });
  const child = (nationality: string) => ({ nationality, dateOfBirth: '2020-01-01' });

  it('cancels a fully covered party under every policy', () => {
    for (const policy of ['cancel_booking', 'remove_covered_guests', 'ask'] as const) {
      expect(partyOutcome(usBan, { checkIn: '2027-07-01', guests: [adult('US'), child('US')] }, policy)).toBe('cancel');
    }
  });

  it('reduces a partly covered party unless the agency cancels whole bookings or no adult would be left', () => {
    const mixed = { checkIn: '2027-07-01', guests: [adult('US'), adult('RU'), child('RU')] };
    expect(partyOutcome(usBan, mixed, 'cancel_booking')).toBe('cancel');
    expect(partyOutcome(usBan, mixed, 'remove_covered_guests')).toBe('reduce');
    expect(partyOutcome(usBan, mixed, 'ask')).toBe('reduce');
    const childLeft = { checkIn: '2027-07-01', guests: [adult('US'), child('RU')] };
    expect(partyOutcome(usBan, childLeft, 'remove_covered_guests')).toBe('cancel');
    expect(partyOutcome(usBan, childLeft, 'ask')).toBe('cancel');
  });

  it('keeps the home country and the exceptions of an all-foreigners ban', () => {
    const foreigners: Coverage = { allForeign: true, homeCountry: 'KP', except: ['RU'] };
    expect(partyOutcome(foreigners, { checkIn: '2027-07-01', guests: [adult('GB'), adult('KP')] }, 'ask')).toBe('reduce');
    expect(partyOutcome(foreigners, { checkIn: '2027-07-01', guests: [adult('GB'), adult('CN')] }, 'ask')).toBe('cancel');
  });
});

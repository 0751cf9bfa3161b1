import {
  affectedBookingsCondition,
  affectedPartiesCondition,
  coveredGuestsExpression,
  coveredGuestsPath,
  keptAdultsOfPartyPath,
  keptAdultsPath,
  keptGuestsPath,
  nationalityCodes,
} from './restriction-sql';

describe('affectedBookingsCondition', () => {
  it('matches a list by overlap, with the window and the list as parameters', () => {
    const condition = affectedBookingsCondition(
      { coverage: { allForeign: false, nationalities: ['US', 'GB'] }, window: { from: '2027-07-01', to: null } },
      'b',
      1,
    );
    expect(condition.sql).toContain('b.nationalities && $3::text[]');
    expect(condition.sql).toContain("b.status IN ('held', 'confirmed')");
    expect(condition.parameters).toEqual(['2027-07-01', null, ['GB', 'US']]);
  });

  it('matches all foreigners as "not only home-country and excepted guests"', () => {
    const condition = affectedBookingsCondition(
      { coverage: { allForeign: true, homeCountry: 'KP', except: ['RU'] }, window: { from: '2027-07-01', to: '2027-08-01' } },
      'x',
      4,
    );
    expect(condition.sql).toContain('NOT (x.nationalities <@ $6::text[])');
    expect(condition.sql).toContain('x.check_in >= $4::date');
    expect(condition.parameters).toEqual(['2027-07-01', '2027-08-01', ['KP', 'RU']]);
  });
});

describe('nationalityCodes', () => {
  it('is the covered list, or for all foreigners the nationalities spared', () => {
    expect(nationalityCodes({ allForeign: false, nationalities: ['US', 'CA'] })).toEqual(['CA', 'US']);
    expect(nationalityCodes({ allForeign: true, homeCountry: 'KP', except: ['RU', 'KP'] })).toEqual(['KP', 'RU']);
  });
});

describe('coveredGuestsExpression', () => {
  it('counts the whole party when every nationality in it is covered, else the guests the JSON path selects', () => {
    const list = coveredGuestsExpression({ allForeign: false, nationalities: ['US'] }, 'b', 3, 4);
    expect(list).toContain('WHEN b.nationalities <@ $3::text[] THEN b.guest_count');
    expect(list).toContain('jsonb_path_query_array(b.guests, $4::jsonpath)');
    const foreigners = coveredGuestsExpression({ allForeign: true, homeCountry: 'KP', except: [] }, 'b', 3, 4);
    expect(foreigners).toContain('WHEN NOT (b.nationalities && $3::text[]) THEN b.guest_count');
  });
});

describe('coveredGuestsPath', () => {
  it('selects the listed nationalities, or everyone but the home country and the exceptions', () => {
    expect(coveredGuestsPath({ allForeign: false, nationalities: ['US', 'GB'] })).toBe(
      '$[*] ? (@.nationality == "GB" || @.nationality == "US")',
    );
    expect(coveredGuestsPath({ allForeign: true, homeCountry: 'KP', except: ['RU'] })).toBe(
      '$[*] ? (!(@.nationality == "KP" || @.nationality == "RU"))',
    );
  });

  it('refuses anything but a two-letter code, since codes are written into the path', () => {
    expect(() => coveredGuestsPath({ allForeign: false, nationalities: ['US" || true'] })).toThrow(RangeError);
  });
});

describe('keptGuestsPath and keptAdultsPath', () => {
  it('select the guests not covered, and of those the adults on $adultBornBy', () => {
    const usBan = { allForeign: false as const, nationalities: ['US'] };
    expect(keptGuestsPath(usBan)).toBe('$[*] ? (!(@.nationality == "US"))');
    expect(keptAdultsPath(usBan)).toBe(
      '$[*] ? (!(@.nationality == "US") && (!exists(@.dateOfBirth) || @.dateOfBirth == null || @.dateOfBirth <= $adultBornBy))',
    );
  });
});

describe('the preview over party compositions', () => {
  it('matches the same window and nationalities as the bookings condition, without the status (the counts are of live bookings)', () => {
    const target = { coverage: { allForeign: true as const, homeCountry: 'KP', except: ['RU'] }, window: { from: '2027-07-01', to: null } };
    const parties = affectedPartiesCondition(target, 's', 1);
    expect(parties.sql).not.toContain('status');
    expect(affectedBookingsCondition(target, 's', 1).sql).toContain(parties.sql);
    expect(parties.parameters).toEqual(affectedBookingsCondition(target, 's', 1).parameters);
  });

  it('finds the adults kept by their flag, the rest of the filter as keptAdultsPath has it', () => {
    expect(keptAdultsOfPartyPath({ allForeign: false, nationalities: ['US'] })).toBe(
      '$[*] ? (!(@.nationality == "US") && @.adult == true)',
    );
  });
});

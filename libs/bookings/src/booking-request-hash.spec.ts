import { hashRequestBody } from './booking-request-hash';
import { generateBookingReference } from './booking-reference';

describe('hashRequestBody', () => {
  it('ignores key order but not values', () => {
    const first = hashRequestBody({ checkIn: '2027-07-01', guests: [{ fullName: 'A', nationality: 'RU' }] });
    expect(hashRequestBody({ guests: [{ nationality: 'RU', fullName: 'A' }], checkIn: '2027-07-01' })).toBe(first);
    expect(hashRequestBody({ checkIn: '2027-07-02', guests: [{ fullName: 'A', nationality: 'RU' }] })).not.toBe(first);
    expect(hashRequestBody({ checkIn: '2027-07-01', guests: [{ fullName: 'A', nationality: 'CN' }] })).not.toBe(first);
  });
});

describe('generateBookingReference', () => {
  it('makes readable references without ambiguous characters', () => {
    for (let index = 0; index < 200; index++) expect(generateBookingReference()).toMatch(/^KAL-[2-9A-HJKMNP-Z]{6}$/);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hashRequestBody } from './booking-request-hash';

/** The fingerprint as first written (`localeCompare` per comparison): every stored hash was made by it. */
function hashAsFirstWritten(body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
          .filter(([, entry]) => entry !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, entry]) => [key, canonical(entry)]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('base64url');
}
import { generateBookingReference } from './booking-reference';

describe('hashRequestBody', () => {
  it('ignores key order but not values', () => {
    const first = hashRequestBody({ checkIn: '2027-07-01', guests: [{ fullName: 'A', nationality: 'RU' }] });
    expect(hashRequestBody({ guests: [{ nationality: 'RU', fullName: 'A' }], checkIn: '2027-07-01' })).toBe(first);
    expect(hashRequestBody({ checkIn: '2027-07-02', guests: [{ fullName: 'A', nationality: 'RU' }] })).not.toBe(first);
    expect(hashRequestBody({ checkIn: '2027-07-01', guests: [{ fullName: 'A', nationality: 'CN' }] })).not.toBe(first);
  });

  it('keeps the hash of every booking request field stable (stored Idempotency-Key hashes must keep matching)', () => {
    const body = {
      returnFlightId: '4b0e6f0e-0d1a-4c55-9a8e-0c1e8c7c2f11',
      hold: true,
      guests: [
        { nationality: 'RU', fullName: 'Анна Иванова' },
        { fullName: 'Li Wei', nationality: 'CN' },
      ],
      outboundFlightId: '0f2d1a9e-5b3c-4c1e-8d7a-2e6f9b1c3d4e',
      checkOut: '2027-07-05',
      checkIn: '2027-07-01',
      agencyId: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
    };
    expect(hashRequestBody(body)).toBe('mQMtYi-wrYvEJtZTUoT6w3Aa4lcxG31qkhnOt0CPAoE');
  });
});

describe('hashRequestBody, property', () => {
  it('gives every body the hash it was given before the collator was cached', () => {
    fc.assert(
      fc.property(
        fc.object({
          key: fc.oneof(
            fc.string(),
            fc.string({ unit: 'grapheme' }),
            fc.constantFrom('a', 'B', 'b', 'A', 'ä', 'checkIn', 'checkin', '_x', '10', '9'),
          ),
        }),
        (body) => {
          expect(hashRequestBody(body)).toBe(hashAsFirstWritten(body));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives any value, however nested or odd, the hash of the first implementation', () => {
    fc.assert(
      fc.property(
        fc.anything({
          key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'a', 'B', '"', '\\', 'é')),
          withNullPrototype: true,
          withSparseArray: true,
          withDate: true,
          withBoxedValues: true,
          withTypedArray: true,
          withMap: true,
          withSet: true,
          maxDepth: 4,
        }),
        (body) => {
          fc.pre(body !== undefined);
          expect(hashRequestBody(body)).toBe(hashAsFirstWritten(body));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('generateBookingReference', () => {
  it('makes readable references without ambiguous characters', () => {
    for (let index = 0; index < 200; index++) expect(generateBookingReference()).toMatch(/^KAL-[2-9A-HJKMNP-Z]{6}$/);
  });
});

import { findUnacceptableJson, MAX_JSON_NESTING } from './request-body-rules';

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { deeper: value };
  return value;
}

describe('findUnacceptableJson', () => {
  const booking = { checkIn: '2027-07-01', guests: [{ fullName: 'Kim Ŏn-ju 𝕂 🏖️', nationality: 'KP' }] };

  it('accepts ordinary bodies, including any well-formed Unicode', () => {
    expect(findUnacceptableJson(undefined)).toBeUndefined();
    expect(findUnacceptableJson({})).toBeUndefined();
    expect(findUnacceptableJson(booking)).toBeUndefined();
    expect(findUnacceptableJson(nested(MAX_JSON_NESTING))).toBeUndefined();
  });

  it('refuses nesting deeper than the limit, however deep, without overflowing the stack', () => {
    expect(findUnacceptableJson(nested(MAX_JSON_NESTING + 1))?.message).toMatch(/nested more than 32 levels/);
    expect(findUnacceptableJson([1, { a: [nested(200_000)] }])?.message).toMatch(/nested more than 32 levels/);
  });

  it('names the field holding a NUL character or an unpaired surrogate', () => {
    expect(findUnacceptableJson({ ...booking, guests: [{ fullName: 'Kim\u0000', nationality: 'KP' }] })).toEqual({
      field: 'guests[0].fullName',
      message: 'contains a NUL character or an unpaired UTF-16 surrogate',
    });
    for (const text of ['\uD800', 'a\uDC00', '\uDFFF\uD800', 'x\uD83D'])
      expect(findUnacceptableJson({ reason: text })?.field).toBe('reason');
    expect(findUnacceptableJson({ ['bad\u0000key']: 1 })?.message).toMatch(/field name/);
    expect(findUnacceptableJson('\u0000')?.field).toBe('body');
  });
});

import fc from 'fast-check';
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

  describe('agrees with the walk it replaced, with and without the text it was parsed from', () => {
    // eslint-disable-next-line no-control-regex -- NUL is what this pattern is for
    const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    /** The implementation before: every string checked, every path spelled out on the way. */
    function reference(body: unknown): { field: string; message: string } | undefined {
      const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
      const name = (path: string, key: string | number): string =>
        typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      while (pending.length > 0) {
        const { value, path, depth } = pending.pop() as { value: unknown; path: string; depth: number };
        if (typeof value === 'string') {
          if (UNSTORABLE.test(value)) return { field: path || 'body', message: 'contains a NUL character or an unpaired UTF-16 surrogate' };
          continue;
        }
        if (value === null || typeof value !== 'object') continue;
        if (depth + 1 > MAX_JSON_NESTING) return { field: path || 'body', message: `is nested more than ${MAX_JSON_NESTING} levels deep` };
        const entries: [string | number, unknown][] = Array.isArray(value)
          ? value.map((item, index) => [index, item])
          : Object.entries(value);
        for (const [key, item] of entries) {
          if (typeof key === 'string' && UNSTORABLE.test(key))
            return { field: path || 'body', message: 'has a field name with a NUL character or an unpaired UTF-16 surrogate' };
          pending.push({ value: item, path: name(path, key), depth: depth + 1 });
        }
      }
      return undefined;
    }
    /** Text with the characters that matter: NUL, lone and paired surrogates, emoji, quotes, backslashes. */
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D\uDE00', '"', '\\', 'u', 'é'),
        fc.string({ minLength: 1, maxLength: 1 }),
      ),
      maxLength: 6,
    });
    const body = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    const deep = fc.integer({ min: MAX_JSON_NESTING - 2, max: MAX_JSON_NESTING + 2 }).map(nested);

    it('finds the same problem, or none', () => {
      fc.assert(
        fc.property(fc.oneof(body, deep, fc.tuple(body, deep), fc.record({ a: body, b: deep, c: body })), (value) => {
          const json = JSON.stringify(value);
          const expected = reference(value);
          expect(findUnacceptableJson(value)).toEqual(expected);
          // What the parser does: the body as parsed from its text, and that text.
          expect(findUnacceptableJson(JSON.parse(json), json)).toEqual(reference(JSON.parse(json)));
        }),
        { numRuns: 3_000 },
      );
    });
  });
});

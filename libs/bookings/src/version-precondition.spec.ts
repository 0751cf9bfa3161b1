import { ValidationFailed, VersionMismatch } from '#libs/shared';
import { checkVersion, parseIfMatch } from './version-precondition';

describe('parseIfMatch', () => {
  it('reads our ETags, lists of them and *', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('"3"')).toEqual({ kind: 'versions', versions: [3], header: '"3"' });
    expect(parseIfMatch(' "3", "12" ')).toEqual({ kind: 'versions', versions: [3, 12], header: '"3", "12"' });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
  });

  it.each(['', '3', '"0"', '"-1"', '"3', 'W/"3"', '"abc"', '"3",', '"3" "4"', '"99999999999"', '* , "3"'])(
    'refuses %p as 400',
    (header) => {
      expect(() => parseIfMatch(header)).toThrow(ValidationFailed);
    },
  );
});

describe('checkVersion', () => {
  const booking = { reference: 'KAL-AAAAAA', version: 4 };
  it('passes the current version, any listed version, * and no header', () => {
    expect(() => checkVersion(booking, parseIfMatch('"4"'))).not.toThrow();
    expect(() => checkVersion(booking, parseIfMatch('"2", "4"'))).not.toThrow();
    expect(() => checkVersion(booking, parseIfMatch('*'))).not.toThrow();
    expect(() => checkVersion(booking, undefined)).not.toThrow();
  });
  it('refuses a stale one with the current version', () => {
    try {
      checkVersion(booking, parseIfMatch('"3"'));
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(VersionMismatch);
      expect((error as VersionMismatch).status).toBe(412);
      expect((error as VersionMismatch).extensions).toEqual({ currentVersion: 4 });
    }
  });
});

import { ValidationFailed } from '../errors/domain-error';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursors', () => {
  it('round-trips a position', () => {
    const cursor = encodeCursor({ createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' });
    expect(decodeCursor(cursor, ['createdAt', 'id'])).toEqual({ createdAt: '2027-07-01T00:00:00.000Z', id: 'abc' });
  });

  it.each(['', 'not-base64!', encodeCursor({ other: 1 }), Buffer.from('[1,2]').toString('base64url')])('refuses a cursor it did not make: %p', (cursor) => {
    expect(() => decodeCursor(cursor, ['createdAt', 'id'])).toThrow(ValidationFailed);
  });
});

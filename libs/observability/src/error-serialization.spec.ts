import { describeError, loggableUrl, redactQuotedValues, serializeError } from './error-serialization';

/** What node-postgres and TypeORM attach to a failed statement. */
function failedStatement(): Error {
  const driverError = Object.assign(new Error('invalid input syntax for type date: "1961-04-12x"'), {
    code: '22007',
    severity: 'ERROR',
    detail: 'Key (passport_number)=(P7730012) already exists.',
    where: "unnamed portal parameter $3 = 'Yuri Gagarin'",
    parameters: ['Yuri Gagarin', 'P7730012'],
  });
  return Object.assign(new Error(driverError.message), {
    name: 'QueryFailedError',
    query: 'INSERT INTO bookings (guests) VALUES ($1)',
    parameters: ['[{"fullName":"Yuri Gagarin","passportNumber":"P7730012"}]'],
    driverError,
    code: '22007',
  });
}

describe('error serialization', () => {
  it('keeps only the allow-listed fields of a failed statement, and no value of it', () => {
    const text = JSON.stringify(serializeError(failedStatement()));
    for (const secret of ['Yuri', 'Gagarin', 'P7730012', '1961-04-12']) expect(text).not.toContain(secret);
    expect(text).not.toContain('INSERT');
    expect(serializeError(failedStatement())).toMatchObject({
      message: 'invalid input syntax for type date: "[redacted]"',
      code: '22007',
      cause: { severity: 'ERROR' },
    });
  });

  it('filters what pino-std-serializers made of the error (a plain object) the same way', () => {
    const plain = {
      type: 'QueryFailedError',
      message: 'm',
      stack: 'QueryFailedError: m',
      parameters: ['P7730012'],
      detail: 'Key (a)=(P7730012)',
      driverError: { type: 'DatabaseError', message: 'm', parameters: ['P7730012'] },
    };
    expect(JSON.stringify(serializeError(plain))).not.toContain('P7730012');
  });

  it('keeps identifiers PostgreSQL quotes after a keyword, blanks other quoted runs', () => {
    expect(redactQuotedValues('duplicate key value violates unique constraint "bookings_pkey"')).toBe(
      'duplicate key value violates unique constraint "bookings_pkey"',
    );
    expect(redactQuotedValues('column "x" of relation "y" does not exist')).toBe('column "x" of relation "y" does not exist');
    expect(redactQuotedValues('value "Yuri" is wrong; Key (name)=(Yuri) exists')).toBe(
      'value "[redacted]" is wrong; Key (name)=([redacted]) exists',
    );
  });

  it('describes an error in one line with its code', () => {
    expect(describeError(failedStatement())).toBe('invalid input syntax for type date: "[redacted]" [22007]');
    expect(describeError('plain "text"')).toBe('plain "[redacted]"');
  });
});

describe('loggableUrl', () => {
  it('keeps the path and the query parameter names, never their values', () => {
    expect(loggableUrl('/v1/bookings/123')).toBe('/v1/bookings/123');
    expect(loggableUrl('/v1/bookings?agencyId=Zebulon%20Q&limit=5&')).toBe('/v1/bookings?agencyId=…&limit=…');
  });
});

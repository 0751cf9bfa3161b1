import 'reflect-metadata';
import { ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import { createValidationPipe, ValidationFailed } from '#libs/shared';
import { acceptCreateBookingBody } from './create-booking.fast-path';
import { CreateBookingDto } from './create-booking.dto';

const asBody: ArgumentMetadata = { type: 'body', metatype: CreateBookingDto, data: undefined };
const reflectionOnly = createValidationPipe();
const withCompiledCheck = createValidationPipe([[CreateBookingDto, acceptCreateBookingBody]]);

/** What a pipe answers: the DTO, or the fields and messages of its refusal. */
async function outcomeOf(pipe: typeof reflectionOnly, body: unknown): Promise<{ dto: unknown } | { refused: unknown }> {
  try {
    return { dto: await pipe.transform(body, asBody) };
  } catch (error) {
    if (error instanceof ValidationFailed) return { refused: error.errors };
    throw error;
  }
}

const uuid = fc.uuid();
const validDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const validGuest = fc.record(
  {
    fullName: fc.string({ minLength: 1, maxLength: 60 }).filter((name) => /\S/.test(name)),
    nationality: fc.constantFrom('RU', 'US', 'DE', 'JP', 'CN', 'KZ', 'FR'),
    dateOfBirth: validDate,
    passportNumber: fc.stringMatching(/^[A-Za-z0-9<-]{1,40}$/),
  },
  { requiredKeys: ['fullName', 'nationality'] },
);
const validBody = fc.record(
  {
    checkIn: validDate,
    checkOut: validDate,
    guests: fc.array(validGuest, { minLength: 1, maxLength: 6 }),
    hold: fc.boolean(),
    outboundFlightId: uuid,
    returnFlightId: uuid,
    agencyId: uuid,
  },
  { requiredKeys: ['checkIn', 'checkOut', 'guests'] },
);

/** Values a client may send where the decorators expect something else, edge cases included. */
const junk = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.constant(' '),
  fc.constant('2027-02-30'),
  fc.constant('2027-7-1'),
  fc.constant('ru'),
  fc.constant('XX'),
  fc.constant('A'.repeat(201)),
  fc.constant('\u{1F600}'.repeat(150)),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  fc.constant('not-a-uuid'),
  fc.constant([]),
  fc.constant({}),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
  fc.uuid(),
  validDate,
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.anything(), { maxKeys: 3 }),
);

/** For each field, the near misses a client is most likely to send. */
const nearMissValues: Record<string, unknown[]> = {
  checkIn: ['2027-02-30', '2027-7-1', '2027-07-01T00:00:00Z', 20270701, null],
  checkOut: ['2027-13-01', '', null, '2027-07-01 '],
  guests: [[], {}, null, [null], ['RU'], Array.from({ length: 1001 }, () => ({ fullName: 'A', nationality: 'RU' }))],
  hold: ['true', 1, null, 0],
  outboundFlightId: ['not-a-uuid', '', null, 42, '6f1c3a5e-0000-4000-8000-00000000000'],
  agencyId: ['zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', null, {}],
  fullName: ['', ' ', '\t\n', 'A'.repeat(201), '\u{1F600}'.repeat(150), null, 7],
  nationality: ['ru', 'XX', 'RUS', 'R', 'ZZ', null, ''],
  dateOfBirth: ['1988-02-30', '88-04-12', null, 19880412, ''],
  passportNumber: ['', 'A'.repeat(41), 'AB 123', null, 123, 'ÄB12'],
};
const nearMisses: Record<string, fc.Arbitrary<unknown>> = {
  ...Object.fromEntries(Object.entries(nearMissValues).map(([field, values]) => [field, fc.constantFrom(...values)])),
  extra: junk,
  ['__proto__']: junk,
  constructor: junk,
};

/** A valid body with one to three of its fields (or a guest's) replaced, removed or added. */
const nearlyValidBody = fc
  .tuple(
    validBody,
    fc.constantFrom(1, 1, 1, 2, 3).chain((edits) =>
      fc.array(
        fc.constantFrom(...Object.keys(nearMisses)).chain((field) =>
          fc.record({
            guest: fc.nat({ max: 5 }),
            field: fc.constant(field),
            change: fc.oneof(
              { weight: 1, arbitrary: fc.constant<'delete'>('delete') },
              { weight: 4, arbitrary: nearMisses[field].map((value) => ({ value })) },
              { weight: 1, arbitrary: junk.map((value) => ({ value })) },
            ),
          }),
        ),
        { minLength: edits, maxLength: edits },
      ),
    ),
  )
  .map(([body, edits]) => {
    const edited = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    for (const edit of edits) {
      const guests = Array.isArray(edited.guests) ? (edited.guests as unknown[]) : [];
      const guest = guests[edit.guest % Math.max(guests.length, 1)];
      const onGuest = ['fullName', 'nationality', 'dateOfBirth', 'passportNumber'].includes(edit.field) || edit.guest % 2 === 0;
      const target = onGuest && guest && typeof guest === 'object' ? (guest as Record<string, unknown>) : edited;
      if (edit.change === 'delete') delete target[edit.field];
      else Object.defineProperty(target, edit.field, { value: edit.change.value, enumerable: true, writable: true, configurable: true });
    }
    return edited;
  });

describe('the compiled check of booking bodies', () => {
  it('accepts every valid body, as exactly the DTO the reflection-based pipe returns', async () => {
    await fc.assert(
      fc.asyncProperty(validBody, async (body) => {
        const accepted = acceptCreateBookingBody(JSON.parse(JSON.stringify(body)));
        expect(accepted).toBeDefined();
        expect(accepted).toStrictEqual(((await outcomeOf(reflectionOnly, JSON.parse(JSON.stringify(body)))) as { dto: unknown }).dto);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts what the decorators refuse, and leaves the pipe answering exactly as before', async () => {
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearlyValidBody, junk), async (body) => {
        const before = await outcomeOf(reflectionOnly, structuredClone(body));
        const accepted = acceptCreateBookingBody(structuredClone(body));
        if (accepted !== undefined) expect(before).toStrictEqual({ dto: accepted });
        else declined++;
        expect(await outcomeOf(withCompiledCheck, structuredClone(body))).toStrictEqual(before);
      }),
      { numRuns: 400 },
    );
    // The generator mostly makes invalid bodies: most must have been declined and decided by the pipe.
    expect(declined).toBeGreaterThan(150);
  });

  it('declines each near miss of the table alone, and the pipe refuses it as before', async () => {
    const valid = {
      checkIn: '2027-07-01',
      checkOut: '2027-07-05',
      hold: true,
      agencyId: '6f1c3a5e-0000-4000-8000-000000000001',
      guests: [{ fullName: 'Ivan Petrov', nationality: 'RU', dateOfBirth: '1988-04-12', passportNumber: '751234567' }],
    };
    const guestFields = ['fullName', 'nationality', 'dateOfBirth', 'passportNumber'];
    for (const [field, misses] of Object.entries(nearMissValues)) {
      for (const value of misses) {
        const body = structuredClone(valid) as Record<string, unknown> & { guests: Record<string, unknown>[] };
        if (guestFields.includes(field)) body.guests[0][field] = value;
        else body[field] = value;
        const before = await outcomeOf(reflectionOnly, structuredClone(body));
        // Accepted by the compiled check only if the pipe accepts it; declined only if the pipe refuses
        // it, or if it is one of the two cases left to the pipe on purpose: a null for an optional
        // field, a name longer than 200 UTF-16 units (class-validator counts a surrogate pair as one).
        const leftToThePipe = value === null || (typeof value === 'string' && value.length > 200);
        const accepted = acceptCreateBookingBody(structuredClone(body)) !== undefined;
        expect({ field, value, accepted }).toEqual({ field, value, accepted: 'dto' in before && !leftToThePipe });
        expect(await outcomeOf(withCompiledCheck, structuredClone(body))).toStrictEqual(before);
      }
    }
  });

  it('declines a null optional field and a name at the length limit in surrogate pairs, which only the pipe decides', () => {
    const body = { checkIn: '2027-07-01', checkOut: '2027-07-05', guests: [{ fullName: 'Ivan', nationality: 'RU' }] };
    expect(acceptCreateBookingBody(body)).toBeDefined();
    expect(acceptCreateBookingBody({ ...body, hold: null })).toBeUndefined();
    expect(acceptCreateBookingBody({ ...body, guests: [{ fullName: '\u{1F600}'.repeat(150), nationality: 'RU' }] })).toBeUndefined();
  });
});

import { HttpException } from '@nestjs/common';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { HoldLimitReached } from '#libs/bookings';
import { CapacityBelowReserved, CapacityExhausted } from '#libs/capacity';
import { FlightMismatch, FlightUnavailable, SeatsBelowReserved, SeatsExhausted } from '#libs/flights';
import { NationalityRestricted } from '#libs/restrictions';
import {
  DomainError,
  Forbidden,
  IdempotencyKeyReused,
  InvalidState,
  NotFound,
  PROBLEM_CATALOGUE,
  ProblemCode,
  problemSchemaName,
  problemSchemas,
  RateLimited,
  ServiceUnavailable,
  toProblem,
  Unauthenticated,
  ValidationFailed,
} from '#libs/shared';

const FLIGHT = '6f1c2a4e-1b2c-4d5e-8f90-123456789abc';
const RESTRICTION = '0b6f3f7e-8a55-4a8e-9d3c-2f0f3c1b2a11';

/** One instance of every domain error the API answers with, members filled as the services fill them. */
const ERRORS: DomainError[] = [
  ValidationFailed.field('guests[0].nationality', 'must be two upper-case letters'),
  new Unauthenticated('no key'),
  new Forbidden('operations only'),
  new NotFound('Booking', FLIGHT),
  new InvalidState('already cancelled'),
  new IdempotencyKeyReused('different body'),
  new RateLimited(12),
  new ServiceUnavailable('down', { checks: { postgres: { status: 'down' }, redis: { status: 'up' } } }),
  new CapacityExhausted([{ date: '2027-07-02', requested: 4, available: 3 }]),
  new CapacityBelowReserved('2027-07-02', 10, 12),
  new SeatsExhausted([{ flightId: FLIGHT, segment: 'outbound', requested: 4, available: 1 }]),
  new SeatsBelowReserved(FLIGHT, 10, 12),
  new FlightUnavailable(FLIGHT, 'return', 'departed'),
  new FlightMismatch(FLIGHT, 'outbound', 'wrong_date', 'arrives on another day'),
  new HoldLimitReached(2000, 1999, 4),
  new NationalityRestricted(RESTRICTION, ['US', 'GB'], { from: '2027-07-01', to: null }),
];

describe('the problem catalogue of the OpenAPI document', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const schemas = problemSchemas();
  const validatorOf = (code: string) => ajv.compile(schemas[problemSchemaName(code as ProblemCode)]);

  it.each(ERRORS.map((error) => [error.code, error] as const))('documents %s exactly as the filter answers it', (code, error) => {
    expect(PROBLEM_CATALOGUE).toHaveProperty(code);
    const problem = toProblem(error, '/v1/bookings');
    expect(problem.status).toBe(PROBLEM_CATALOGUE[code as ProblemCode].status);
    const validate = validatorOf(code);
    expect({ valid: validate(JSON.parse(JSON.stringify(problem))), errors: validate.errors ?? null }).toEqual({
      valid: true,
      errors: null,
    });
  });

  it.each([
    [400, 'validation_failed'],
    [404, 'not_found'],
    [413, 'payload_too_large'],
    [414, 'uri_too_long'],
    [415, 'unsupported_media_type'],
  ])("documents the framework's %i as %s", (status, code) => {
    const problem = toProblem(new HttpException('refused', status), '/v1/bookings');
    expect(problem.code).toBe(code);
    const validate = validatorOf(code);
    expect({ valid: validate(JSON.parse(JSON.stringify(problem))), errors: validate.errors ?? null }).toEqual({
      valid: true,
      errors: null,
    });
  });

  it('refuses a member a code does not carry, and a missing one', () => {
    const validate = validatorOf('capacity_exhausted');
    const problem = JSON.parse(
      JSON.stringify(toProblem(new CapacityExhausted([{ date: '2027-07-02', requested: 4, available: 3 }]))),
    ) as Record<string, unknown>;
    expect(validate({ ...problem, restrictionId: RESTRICTION })).toBe(false);
    const { shortNights: _shortNights, ...withoutMembers } = problem;
    expect(validate(withoutMembers)).toBe(false);
  });
});

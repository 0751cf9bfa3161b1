import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isForeignKeyViolationOn } from './database-errors';
import { RateLimited } from './domain-error';
import { isTransientInfrastructureError, toProblem } from './problem-details.filter';

/** What a lost database connection looks like by the time it reaches the filter: 503, never 500. */
describe('isTransientInfrastructureError', () => {
  const driverError = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});

  it.each([
    [
      'a terminated backend',
      new QueryFailedError('SELECT 1', [], driverError('terminating connection due to administrator command', '57P01')),
    ],
    [
      'a dead connection',
      new QueryFailedError('SELECT 1', [], driverError('Client has encountered a connection error and is not queryable')),
    ],
    ['a closed client', driverError('Client was closed and is not queryable')],
    ['an unexpected end', driverError('Connection terminated unexpectedly')],
    ['a refused connection', driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a pool timeout', driverError('timeout exceeded when trying to connect')],
    ['a runner released after its connection broke', new QueryRunnerAlreadyReleasedError()],
    ['a data source query on such a runner', new QueryRunnerProviderAlreadyReleasedError()],
  ])('counts %s as transient (503)', (_name, error) => {
    expect(isTransientInfrastructureError(error)).toBe(true);
    expect(toProblem(error)).toMatchObject({ status: 503, code: 'service_unavailable' });
  });

  it.each([
    ['a constraint violation', new QueryFailedError('INSERT', [], driverError('null value in column "name"', '23502'))],
    ['a type error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a non-error', 'boom'],
  ])('does not count %s as transient (500)', (_name, error) => {
    expect(isTransientInfrastructureError(error)).toBe(false);
    expect(toProblem(error)).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('keeps domain errors as they are', () => {
    expect(toProblem(new RateLimited(12))).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 12 });
  });
});

/** A foreign key the code did not check first: the request named a row that does not exist. */
describe('foreign-key violations', () => {
  const violation = (constraint: string): QueryFailedError =>
    new QueryFailedError(
      'INSERT',
      ['secret'],
      Object.assign(new Error(`insert or update on table "bookings" violates foreign key constraint "${constraint}"`), {
        code: '23503',
        constraint,
      }),
    );

  it('answers 404 not_found, never 500', () => {
    expect(toProblem(violation('bookings_agency_id_fkey'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('tells which column a violation is on', () => {
    expect(isForeignKeyViolationOn(violation('idempotency_keys_agency_id_fkey'), 'agency_id')).toBe(true);
    expect(isForeignKeyViolationOn(violation('bookings_outbound_flight_id_fkey'), 'agency_id')).toBe(false);
  });
});

/**
 * The one error vocabulary of Kalma. Services throw these; `ProblemDetailsFilter`
 * turns them into RFC 9457 problem details in exactly one place.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;

  constructor(
    message: string,
    /** Extra members of the problem document (e.g. `shortNights`, `restrictionId`). */
    readonly extensions: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export class ValidationFailed extends DomainError {
  readonly code = 'validation_failed';
  readonly status = 400;
  readonly title = 'The request is not valid';

  constructor(readonly errors: FieldProblem[]) {
    super(errors.map((error) => `${error.field}: ${error.message}`).join('; '), { errors });
  }

  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }]);
  }
}

export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
  readonly status = 401;
  readonly title = 'A valid API key is required';
}

export class Forbidden extends DomainError {
  readonly code = 'forbidden';
  readonly status = 403;
  readonly title = 'This API key may not do that';
}

export class NotFound extends DomainError {
  readonly code = 'not_found';
  readonly status = 404;
  readonly title = 'Not found';

  constructor(resource: string, id?: string) {
    super(id === undefined ? `${resource} not found` : `${resource} ${id} not found`);
  }
}

export class InvalidState extends DomainError {
  readonly code = 'invalid_state';
  readonly status = 409;
  readonly title = 'Not possible in the current state';
}

/**
 * `If-Match` named a version that is not the resource's current one (someone changed it since the
 * client read it): nothing was changed. The current version is given, so the client can re-read.
 */
export class VersionMismatch extends DomainError {
  readonly code = 'version_mismatch';
  readonly status = 412;
  readonly title = 'The resource has changed since that version';

  constructor(resource: string, currentVersion: number, expected: string) {
    super(`${resource} is at version ${currentVersion}; If-Match asked for ${expected}`, { currentVersion });
  }
}

export class IdempotencyKeyReused extends DomainError {
  readonly code = 'idempotency_key_reused';
  readonly status = 422;
  readonly title = 'This Idempotency-Key was used with a different request';
}

export class RateLimited extends DomainError {
  readonly code = 'rate_limited';
  readonly status = 429;
  readonly title = 'Too many requests';

  constructor(readonly retryAfterSeconds: number) {
    super(`Rate limit exceeded; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class ServiceUnavailable extends DomainError {
  readonly code = 'service_unavailable';
  readonly status = 503;
  readonly title = 'Temporarily unavailable';
}

import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, ValidationFailed } from '../errors/domain-error';

/*
 * Constraints that say what type a value must be. When one fails, the value's other constraints
 * (ranges, lengths, formats) are noise that can contradict each other: `"5"` as a capacity is
 * neither "greater than 1000000" nor "less than 0", it is not a number. Only the type is reported then.
 */
const TYPE_CONSTRAINTS = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
  'nestedValidation',
  'isEnum',
  'isIn',
]);

function ownMessages(constraints: Record<string, string>): string[] {
  const typeFailures = Object.keys(constraints).filter((name) => TYPE_CONSTRAINTS.has(name));
  const reported = typeFailures.length > 0 ? typeFailures : Object.keys(constraints);
  return reported.map((name) => constraints[name]);
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
    const own = ownMessages(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Rejects unknown fields and wrong types, answering `validation_failed` with every field named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => new ValidationFailed(flatten(errors)),
  });
}

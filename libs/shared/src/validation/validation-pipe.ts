import { ArgumentMetadata, Type, ValidationError, ValidationPipe } from '@nestjs/common';
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

/**
 * A compiled check of one DTO class for a hot route: returns the DTO instance the validation pipe
 * would return when it is sure the value is valid, and `undefined` whenever it is not sure. It
 * must never accept what class-validator refuses; it may decline what class-validator accepts
 * (the pipe then decides, and writes the messages). See `create-booking.fast-path.ts`.
 */
export type CompiledValidator<T> = (value: unknown) => T | undefined;

/**
 * The global pipe: class-validator's reflection-based validation, except that a value a compiled
 * validator accepts skips it. Reflection costs tens of microseconds per booking body, a tenth of
 * the API's CPU on the booking path; the compiled check costs a few.
 */
class KalmaValidationPipe extends ValidationPipe {
  constructor(private readonly compiled: ReadonlyMap<Type<unknown>, CompiledValidator<unknown>>) {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      stopAtFirstError: false,
      exceptionFactory: (errors) => new ValidationFailed(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const accept = metadata.type === 'body' && metadata.metatype ? this.compiled.get(metadata.metatype) : undefined;
    const accepted = accept?.(value);
    return accepted !== undefined ? accepted : super.transform(value, metadata);
  }
}

/**
 * Rejects unknown fields and wrong types, answering `validation_failed` with every field named.
 * `compiled` lists the DTO classes whose bodies are checked by a compiled validator first.
 */
export function createValidationPipe(compiled: [Type<unknown>, CompiledValidator<unknown>][] = []): ValidationPipe {
  return new KalmaValidationPipe(new Map(compiled));
}

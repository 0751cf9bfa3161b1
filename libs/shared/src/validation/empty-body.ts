import { Body, Injectable, PipeTransform } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ValidationFailed } from '../errors/domain-error';

/** Refuses every field of a body that must have none, with the message the validation pipe gives unknown fields. */
@Injectable()
export class RefuseBodyFields implements PipeTransform<unknown, unknown> {
  transform(value: unknown): unknown {
    const fields = value !== null && typeof value === 'object' ? Object.keys(value) : [];
    if (fields.length > 0) throw new ValidationFailed(fields.map((field) => ({ field, message: `property ${field} should not exist` })));
    return value;
  }
}

/**
 * The body of an action that takes no input (`/confirm`, `/cancel`, `/lift`, …): no body or `{}`
 * is accepted, and any field is refused as unknown (400 `validation_failed`) instead of being
 * silently dropped, so a client that thinks it is sending a reason learns that it is not.
 */
export const EmptyBody = (): ParameterDecorator => (target, method, index) => {
  Body(RefuseBodyFields)(target, method, index);
  // Documented as what it is: no body, or an empty object.
  if (method === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, method);
  if (descriptor) {
    ApiBody({
      required: false,
      description: 'none, or an empty object',
      schema: { type: 'object', additionalProperties: false, maxProperties: 0 },
    })(target, method, descriptor);
  }
};

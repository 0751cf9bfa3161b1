import { DECORATORS } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/** What one class-validator rule says in JSON Schema terms, or undefined when it says nothing a schema can. */
type Fragment = Record<string, unknown>;

interface Rule {
  name?: string;
  type: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

function fragmentOf(rule: Rule): Fragment | undefined {
  const [first] = rule.constraints ?? [];
  switch (rule.name) {
    case 'isInt':
      return { type: 'integer' };
    case 'isBoolean':
      return { type: 'boolean' };
    case 'min':
      return { minimum: first };
    case 'max':
      return { maximum: first };
    case 'minLength':
      return { minLength: first };
    case 'maxLength':
      return { maxLength: first };
    case 'isNotEmpty':
      return { minLength: 1 };
    case 'matches':
      return first instanceof RegExp && first.flags.replace(/[gu]/g, '') === '' ? { pattern: first.source } : undefined;
    case 'arrayMinSize':
      return { minItems: first };
    case 'arrayMaxSize':
      return { maxItems: first };
    case 'isUuid':
      return { format: 'uuid' };
    case 'isCalendarDate':
      return { format: 'date' };
    case 'isInstantWithOffset':
      return { format: 'date-time' };
    case 'isUrl':
      return { type: 'string', format: 'uri' };
    default:
      return undefined;
  }
}

/** `minLength: 1` from isNotEmpty must not weaken a stricter minLength of the same property. */
function merge(into: Fragment, fragment: Fragment): Fragment {
  const merged = { ...into, ...fragment };
  if (typeof into.minLength === 'number' && typeof fragment.minLength === 'number')
    merged.minLength = Math.max(into.minLength, fragment.minLength);
  return merged;
}

/**
 * States in the OpenAPI document every rule the validation pipe enforces, read from the same
 * class-validator decorators that enforce it (integers, ranges, lengths, patterns, item counts,
 * formats; `@IsOptional` fields accept null). Each DTO property's @nestjs/swagger metadata is
 * amended before the document is generated, so a rule added to a DTO shows up in the document
 * without being written twice. Rules on `each` element go to the array's `items`.
 */
export function describeValidationRules(): void {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<{ prototype: object }, Rule[]> };
  for (const [target, rules] of storage.validationMetadatas) {
    const byProperty = new Map<string, Rule[]>();
    for (const rule of rules) byProperty.set(rule.propertyName, [...(byProperty.get(rule.propertyName) ?? []), rule]);
    for (const [property, propertyRules] of byProperty) {
      const existing = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, target.prototype, property) as Fragment | undefined;
      if (!existing) continue; // not documented: nothing to amend
      let own: Fragment = {};
      let items: Fragment = {};
      for (const rule of propertyRules) {
        if (rule.type === 'conditionalValidation' && rule.name === 'isOptional') own.nullable = true;
        const fragment = fragmentOf(rule);
        if (!fragment) continue;
        if (rule.each) items = merge(items, fragment);
        else own = merge(own, fragment);
      }
      const amended: Fragment = { ...existing, ...own };
      if (Object.keys(items).length > 0) {
        // `type: [String]` becomes an explicit array whose items carry the per-element rules.
        const itemType: unknown = Array.isArray(existing.type) ? existing.type[0] : existing.type;
        amended.type = 'array';
        amended.isArray = undefined;
        amended.items = {
          type: itemType === String ? 'string' : itemType === Number ? 'number' : 'string',
          ...(existing.items ?? {}),
          ...items,
        };
      }
      Reflect.defineMetadata(DECORATORS.API_MODEL_PROPERTIES, amended, target.prototype, property);
    }
  }
}

import { ApiProperty, ApiPropertyOptional, DECORATORS } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsCalendarDate, IsInstantWithOffset, IsOmittable } from '#libs/shared';
import { finishDocument } from './openapi-document';
import { describeValidationRules } from './validation-constraints';

class Sample {
  @ApiProperty({ example: 3 })
  @IsInt()
  @Min(1)
  @Max(9)
  seats: number;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(20)
  @Matches(/\S/)
  reason: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOmittable()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @Matches(/^[A-Z]{2}$/, { each: true })
  codes?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  flightId?: string | null;

  @ApiProperty() @IsCalendarDate() day: string;
  @ApiProperty() @IsInstantWithOffset() at: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl() url?: string;
}

const metadataOf = (property: keyof Sample): Record<string, unknown> =>
  Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, Sample.prototype, property) as Record<string, unknown>;

describe('describeValidationRules', () => {
  beforeAll(() => describeValidationRules());

  it('states each class-validator rule in the property’s schema', () => {
    expect(metadataOf('seats')).toMatchObject({ type: 'integer', minimum: 1, maximum: 9, example: 3 });
    expect(metadataOf('reason')).toMatchObject({ minLength: 1, maxLength: 20, pattern: '\\S' });
    expect(metadataOf('day')).toMatchObject({ format: 'date' });
    expect(metadataOf('at')).toMatchObject({ format: 'date-time' });
    expect(metadataOf('url')).toMatchObject({ type: 'string', format: 'uri', nullable: true });
  });

  it('puts per-element rules on the items, and array rules on the array', () => {
    expect(metadataOf('codes')).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: { type: 'string', pattern: '^[A-Z]{2}$' },
    });
    expect(metadataOf('codes').nullable).toBeUndefined(); // IsOmittable: null is refused
  });

  it('says null is accepted where @IsOptional lets it through', () => {
    expect(metadataOf('flightId')).toMatchObject({ format: 'uuid', nullable: true });
  });
});

describe('finishDocument', () => {
  const generated = {
    openapi: '3.1.0',
    info: { title: 'x', version: '1' },
    paths: {
      '/v1/things/{id}': {
        post: {
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'cursor', in: 'query', required: false, schema: { type: ['string', 'null'], example: 'abc' } },
          ],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateBookingDto' } } } },
          responses: { '201': { description: '' } },
        },
      },
    },
    components: {
      schemas: {
        CreateBookingDto: {
          type: 'object',
          properties: { guests: { type: 'array', maxItems: 1000, items: { type: 'string' } }, type: { type: 'string', example: 'x' } },
        },
      },
    },
  };
  const document = finishDocument(generated as never, { MAX_PARTY_SIZE: 7 });
  const operation = document.paths['/v1/things/{id}'].post as unknown as {
    parameters: { schema: Record<string, unknown> }[];
    responses: Record<string, { description: string }>;
  };
  const schema = document.components?.schemas?.CreateBookingDto as {
    additionalProperties: unknown;
    properties: Record<string, Record<string, unknown>>;
  };

  it('closes objects, writes examples as 3.1 does and applies the configured party size', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.guests.maxItems).toBe(7);
    expect(schema.properties.type).toEqual({ type: 'string', examples: ['x'] });
  });

  it('documents ids as UUIDs, never null parameters, and the refusals every route with a body or a path can give', () => {
    expect(operation.parameters[0].schema).toEqual({ type: 'string', format: 'uuid' });
    expect(operation.parameters[1].schema).toEqual({ type: 'string', examples: ['abc'] });
    expect(Object.keys(operation.responses)).toEqual(['201', '400', '413', '414', '415']);
    expect(operation.responses['201'].description).toBe('Created');
  });

  it('adds a webhooks entry per notification type', () => {
    expect(Object.keys(document.webhooks ?? {})).toEqual(
      expect.arrayContaining(['booking.cancelled', 'booking.amended', 'booking.action_required']),
    );
  });
});

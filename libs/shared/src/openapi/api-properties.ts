import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';

/**
 * Response properties that many DTOs share, stated once: a count is a non-negative integer, a
 * date is `YYYY-MM-DD`. (Request DTOs get theirs from their validation rules: see the API's
 * `describeValidationRules`.)
 */
export const ApiCount = (options: ApiPropertyOptions = {}): PropertyDecorator => ApiProperty({ type: 'integer', minimum: 0, ...options });

export const ApiDate = (options: ApiPropertyOptions = {}): PropertyDecorator => ApiProperty({ type: String, format: 'date', ...options });

/** ISO 3166-1 alpha-2, upper case. */
export const NATIONALITY_PATTERN = '^[A-Z]{2}$';

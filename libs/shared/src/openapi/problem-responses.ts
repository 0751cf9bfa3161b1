import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class ProblemDto {
  @ApiProperty({ example: 'https://kalma.example/problems/capacity-exhausted' }) type: string;
  @ApiProperty({ example: 'Not enough capacity' }) title: string;
  @ApiProperty({ example: 409 }) status: number;
  @ApiProperty({
    example: 'capacity_exhausted',
    description:
      'Stable machine-readable code: validation_failed, unauthenticated, forbidden, not_found, capacity_exhausted, seats_exhausted, hold_limit_reached, invalid_state, capacity_below_reserved, flight_unavailable, flight_mismatch, nationality_restricted, idempotency_key_reused, version_mismatch, rate_limited, payload_too_large, service_unavailable',
  })
  code: string;
  @ApiProperty({ required: false, example: 'Night 2027-07-02 has 3 places left, 4 requested' }) detail?: string;
  @ApiProperty({ required: false, example: '/v1/bookings' }) instance?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'validation_failed: the body, a parameter or a header is not valid (every bad field is listed in `errors`)',
  401: 'unauthenticated: no API key, or an unknown or revoked one',
  403: 'forbidden: this key may not do this',
  404: 'not_found',
  412: 'version_mismatch: If-Match names a version that is not the current one (`currentVersion`); nothing was changed',
  409: 'conflict with the current state (see `code`)',
  422: 'the request is well-formed but refused by a rule (see `code`)',
  429: 'rate_limited: slow down; see Retry-After (per API key, and per client address for requests that fail authentication)',
  503: 'service_unavailable: a dependency is down; retry shortly',
};

/** Documents the problem-details responses of an endpoint; 401, 429 and 503 apply to every authenticated one. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...new Set([...statuses, 503])].map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'error', type: ProblemDto, content: undefined }),
    ),
  );
}

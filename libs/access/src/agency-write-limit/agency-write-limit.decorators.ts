import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { AgencyWriteLimitInterceptor } from './agency-write-limit.interceptor';

export const OUTSIDE_AGENCY_WRITE_LIMIT = 'kalma:outside-agency-write-limit';

/**
 * An agents' write route whose requests go through their agency's line (`AgencyWriteLimiter`).
 * Put on every route by which an agent changes something, but those marked
 * `OutsideAgencyWriteLimit`; `agency-write-limit.spec.ts` checks that none is left out. Per
 * route, not global: a global interceptor would cost every request, the booking path included,
 * about 40 µs of Nest's interceptor machinery (measured: API CPU per booking +15 %).
 */
export const LimitedPerAgency = (): MethodDecorator => applyDecorators(UseInterceptors(AgencyWriteLimitInterceptor));

/**
 * An agents' write route that the per-agency write limit leaves alone, because its requests
 * hold no database connection of their own while they wait: new bookings join the admission
 * batcher, whose one transaction per batch serves every agency's requests together, and limiting
 * them per agency would only cap how many of an agency's bookings share a batch.
 */
export const OutsideAgencyWriteLimit = (): MethodDecorator => SetMetadata(OUTSIDE_AGENCY_WRITE_LIMIT, true);

import { SetMetadata } from '@nestjs/common';

export const OUTSIDE_AGENCY_WRITE_LIMIT = 'kalma:outside-agency-write-limit';

/**
 * A write route that the API's per-agency write limit leaves alone, because its requests hold no
 * database connection of their own while they wait: new bookings join the admission batcher,
 * whose one transaction per batch serves every agency's requests together, and limiting them
 * per agency would only cap how many of an agency's bookings share a batch.
 */
export const OutsideAgencyWriteLimit = (): MethodDecorator => SetMetadata(OUTSIDE_AGENCY_WRITE_LIMIT, true);

import { ParseUUIDPipe } from '@nestjs/common';
import { NotFound } from '#libs/shared';

/** A path id that is not a UUID cannot name anything: 404, like any unknown id. */
export const uuidParam = (resource: string): ParseUUIDPipe => new ParseUUIDPipe({ exceptionFactory: () => new NotFound(resource) });

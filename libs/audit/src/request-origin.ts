import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuditOrigin, requestOrigin } from './audit-event';

interface RequestWithPrincipal {
  id?: string;
  principal?: { keyId: string; role: string; agencyId: string | null };
}

/**
 * The audit origin of the current HTTP request: the caller's key (set by the API-key guard) and
 * the request id (Fastify's `request.id`, the id every log line of the request carries and the
 * `x-request-id` response header returns). Passed explicitly to the service that makes the change.
 */
export const RequestOrigin = createParamDecorator((_: unknown, context: ExecutionContext): AuditOrigin => {
  const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
  if (!request.principal) throw new Error('RequestOrigin used on a public route');
  return requestOrigin(request.principal, request.id ?? null);
});

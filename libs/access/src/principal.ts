import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type Role = 'agent' | 'operations';
export const ROLES: Role[] = ['agent', 'operations'];

/** Who is calling: resolved from the API key by `ApiKeyGuard`. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Set for agent keys (always) and for operations keys issued under an agency. */
  agencyId: string | null;
}

export const PUBLIC_ROUTE = 'kalma:public';
export const REQUIRED_ROLE = 'kalma:required-role';

/** No API key needed (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Only operations keys; agents get 403. */
export const OperationsOnly = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLE, 'operations');

/** Only agent keys (their agency is implied); operations keys get 403. */
export const AgentsOnly = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLE, 'agent');

export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a public route');
  return request.principal;
});

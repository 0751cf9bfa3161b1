import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Forbidden, MemoizedReflector } from '#libs/shared';
import { AuthenticatedRequest, PUBLIC_ROUTE, REQUIRED_ROLE, Role } from './principal';
import { RequestAuthentication } from './request-authentication';

/**
 * Global guard: every route needs `Authorization: Bearer <key>` unless marked `@Public()`;
 * failures are limited per client address (`RequestAuthentication`).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly reflector = new MemoizedReflector();

  constructor(private readonly authentication: RequestAuthentication) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,512})$/i.exec(header.trim()) : null;
    // request.ip: the TCP peer, or the client named by the TRUSTED_PROXY_HOPS proxies in front.
    const principal = await this.authentication.principalOf(request.ip, match?.[1], 'Send Authorization: Bearer <api key>');
    request.principal = principal;

    const requiredRole = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (requiredRole && principal.role !== requiredRole) {
      throw new Forbidden(requiredRole === 'operations' ? 'Only operations keys may do this' : 'Only agent keys may do this');
    }
    return true;
  }
}

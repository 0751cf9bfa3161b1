import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden, Unauthenticated } from '#libs/shared';
import { ApiKeysService } from './api-keys.service';
import { AuthenticatedRequest, PUBLIC_ROUTE, REQUIRED_ROLE, Role } from './principal';

/** Global guard: every route needs `Authorization: Bearer <key>` unless marked `@Public()`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,512})$/i.exec(header.trim()) : null;
    if (!match) throw new Unauthenticated('Send Authorization: Bearer <api key>');
    const principal = await this.apiKeys.authenticate(match[1]);
    if (!principal) throw new Unauthenticated('This API key is unknown or revoked');
    request.principal = principal;

    const requiredRole = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (requiredRole && principal.role !== requiredRole) {
      throw new Forbidden(requiredRole === 'operations' ? 'Only operations keys may do this' : 'Only agent keys may do this');
    }
    return true;
  }
}

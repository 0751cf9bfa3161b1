import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { AgencyWriteLimitInterceptor, OUTSIDE_AGENCY_WRITE_LIMIT, PUBLIC_ROUTE, REQUIRED_ROLE } from '#libs/access';
import { ApiModule } from './api.module';

type Handler = (...args: unknown[]) => unknown;

/** Every route of the API an agent key may call with a method that changes something. */
function agentWriteRoutes(): { name: string; handler: Handler }[] {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) as (new (...args: never[]) => object)[];
  return controllers.flatMap((controller) =>
    Object.getOwnPropertyNames(controller.prototype).flatMap((key) => {
      const handler = (controller.prototype as Record<string, unknown>)[key];
      if (key === 'constructor' || typeof handler !== 'function') return [];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined || [RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS].includes(method)) return [];
      const role = (Reflect.getMetadata(REQUIRED_ROLE, handler) ?? Reflect.getMetadata(REQUIRED_ROLE, controller)) as string | undefined;
      const isPublic = (Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller)) as boolean | undefined;
      if (role === 'operations' || isPublic) return [];
      return [{ name: `${controller.name}.${key}`, handler: handler as Handler }];
    }),
  );
}

describe('the per-agency write limit', () => {
  it('covers every agents’ write route but those explicitly left outside it', () => {
    const routes = agentWriteRoutes();
    // The routes this was written against, so that an empty list cannot pass.
    expect(routes.map((route) => route.name)).toEqual(expect.arrayContaining(['BookingsController.cancel', 'BookingsController.create']));
    const uncovered = routes.filter(({ handler }) => {
      const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
      return !interceptors.includes(AgencyWriteLimitInterceptor) && Reflect.getMetadata(OUTSIDE_AGENCY_WRITE_LIMIT, handler) !== true;
    });
    expect(uncovered.map((route) => route.name)).toEqual([]);
  });
});

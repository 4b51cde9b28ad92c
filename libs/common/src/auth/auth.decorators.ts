import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@conclave/contracts';
import type { Principal } from './principal.js';

export const PUBLIC_ROUTE = 'conclave:public';
export const ROUTE_ROLES = 'conclave:roles';

/** Opens a route to unauthenticated callers (only /health is). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The roles a route admits. A route without @Roles admits `admin` only (deny by default). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROUTE_ROLES, roles);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});

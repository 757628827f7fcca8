import {
  Controller,
  Get,
  Injectable,
  SetMetadata,
  type CanActivate,
  type NestMiddleware,
} from '@nestjs/common';
import { Roles } from '@livegate/auth';

/** The body every variant answers: the same small JSON document. */
const ITEMS = Object.freeze({
  items: [
    { id: 1, name: 'alpha', done: false },
    { id: 2, name: 'beta', done: true },
    { id: 3, name: 'gamma', done: false },
  ],
});

export function listItems() {
  return ITEMS;
}

/** (a): no auth at all. */
@Controller()
export class BareItemsController {
  @Get('items')
  items() {
    return listItems();
  }
}

/** Roles the peer's own guard requires, the way Nest apps on passport usually write it. */
export const PEER_ROLES_KEY = 'bench:peer-roles';
export const PeerRoles = (...roles: string[]) => SetMetadata(PEER_ROLES_KEY, roles);

/** (b): the peer's session and role check. */
@Controller()
export class PeerItemsController {
  @Get('items')
  @PeerRoles('admin')
  items() {
    return listItems();
  }
}

/** (c), (d), (e): Livegate's middleware and guard. */
@Controller()
export class LivegateItemsController {
  @Get('items')
  @Roles('admin')
  items() {
    return listItems();
  }
}

/** The control: a middleware on every path and a global guard, both doing nothing. */
@Injectable()
export class EmptyMiddleware implements NestMiddleware {
  use(_request: unknown, _response: unknown, next: () => void): void {
    next();
  }
}

@Injectable()
export class EmptyGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

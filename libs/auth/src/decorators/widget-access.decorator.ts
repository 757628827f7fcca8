import { SetMetadata } from '@nestjs/common';

export const WIDGET_ACCESS_KEY = 'livegate:widget-access';

export interface WidgetAccessRequirement {
  /** Route parameter (or WebSocket message field) holding the widget id. */
  idParam: string;
}

/**
 * A widget read, gated by `requireAuthForWidgets`. With it on (and auth enabled), the caller needs
 * a session that may read the widget named by `idParam` (default `id`) through its roles or a
 * resource grant: anonymous 401, a widget it may not read 404 (its existence is not revealed), a
 * malformed id 400, the session store down 503. With it off, or auth disabled, the route is open
 * (other decorators on it still apply).
 */
export const WidgetAccess = (idParam = 'id'): MethodDecorator & ClassDecorator =>
  SetMetadata(WIDGET_ACCESS_KEY, { idParam } satisfies WidgetAccessRequirement);

import type { SessionStore, UserSession } from '@livegate/state';
import type { ClaimsPrincipal } from './claims-principal';

/** A role's permissions from the role table (built-in or custom). */
export function getRolePermissions(sessions: SessionStore, role: string): Promise<string[]> {
  return sessions.getRolePermissions(role);
}

/** Whether any role of the session grants the permission (resource grants aside). */
export async function hasPermission(
  sessions: SessionStore,
  session: Pick<UserSession, 'roles'> | null | undefined,
  permission: string,
): Promise<boolean> {
  if (!session) {
    return false;
  }
  for (const role of session.roles) {
    if ((await sessions.getRolePermissions(role)).includes(permission)) {
      return true;
    }
  }
  return false;
}

/** Whether the session (or principal) has the admin role. */
export function isAdmin(
  subject: Pick<UserSession, 'roles'> | ClaimsPrincipal | null | undefined,
): boolean {
  return subject ? subject.roles.includes('admin') : false;
}

/** Whether the session may do `permission` on the widget: roles, then resource grants. */
export async function checkWidgetPermission(
  session: Pick<UserSession, 'sessionId'> | null | undefined,
  widgetId: string,
  permission: string,
  sessionStore: SessionStore,
): Promise<boolean> {
  if (!session) {
    return false;
  }
  return sessionStore.checkPermission(session.sessionId, 'widget', widgetId, permission);
}

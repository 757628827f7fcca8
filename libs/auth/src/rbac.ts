import { effectiveRoles, type SessionStore, type UserSession } from '@livegate/state';
import { ClaimsPrincipal } from './claims-principal';

/** A session, or what a check needs of it: its roles and, for role claims, its metadata. */
export type SessionRoles = Pick<UserSession, 'roles'> & Partial<Pick<UserSession, 'metadata'>>;

/** A role's permissions from the role table (built-in or custom). */
export function getRolePermissions(sessions: SessionStore, role: string): Promise<string[]> {
  return sessions.getRolePermissions(role);
}

/**
 * Whether any effective role of the session (its roles and role claims, `effectiveRoles`) grants
 * the permission (resource grants aside).
 */
export async function hasPermission(
  sessions: SessionStore,
  session: SessionRoles | null | undefined,
  permission: string,
): Promise<boolean> {
  if (!session) {
    return false;
  }
  for (const role of effectiveRoles(session)) {
    if ((await sessions.getRolePermissions(role)).includes(permission)) {
      return true;
    }
  }
  return false;
}

/** Whether the session (or principal) has the admin role, as a role or a role claim. */
export function isAdmin(subject: SessionRoles | ClaimsPrincipal | null | undefined): boolean {
  if (!subject) {
    return false;
  }
  const roles = subject instanceof ClaimsPrincipal ? subject.roles : effectiveRoles(subject);
  return roles.includes('admin');
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

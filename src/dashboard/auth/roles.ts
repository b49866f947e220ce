import type { StaffRole } from '../../store/schema.js';

/**
 * What each role may do, checked on the server for every request (the pages only hide what a role
 * cannot use). Viewers read; triage staff act on conversations, escalations and incidents; admins
 * also read the audit log, export customer text in bulk (the corrections CSV) and manage accounts.
 */
export type Permission = 'read' | 'act' | 'audit' | 'export' | 'manage';

const GRANTS: Record<StaffRole, readonly Permission[]> = {
  viewer: ['read'],
  triage: ['read', 'act'],
  admin: ['read', 'act', 'audit', 'export', 'manage'],
};

export const STAFF_ROLES = Object.keys(GRANTS) as StaffRole[];

export function can(role: StaffRole, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

// Authorisation decisions: who may read or change an app. Pure given the records; callers load them.
import type { User, TeamRecord, Role } from './tokens.js';

export type Action = 'read' | 'deploy' | 'manage' | 'destroy';

const ALLOWED: Record<Role, Action[]> = {
  owner: ['read', 'deploy', 'manage', 'destroy'],
  admin: ['read', 'deploy', 'manage', 'destroy'],
  member: ['read', 'deploy', 'manage'],
  viewer: ['read'],
};

/** The role `user` has in `team`, or null when not a member (platform admins act as owners everywhere). */
export function roleIn(user: User, team: TeamRecord | null): Role | null {
  if (user.admin) return 'owner';
  return team?.members[user.name] ?? null;
}

export function may(role: Role | null, action: Action): boolean {
  return role !== null && ALLOWED[role].includes(action);
}

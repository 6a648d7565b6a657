// Validation of account names (users, teams) and roles. Pure. Team names end up in Docker network names and
// etcd keys, so they follow the app-name rules; user names also appear in etcd keys.
import { YbError } from '../shared/errors.js';
import type { Role } from './tokens.js';

const USER_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const TEAM_NAME = /^[a-z][a-z0-9-]{0,28}[a-z0-9]$/;
export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name) || name.includes('--')) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${name.slice(0, 64)}" is not a valid user name: use 2 to 32 lowercase letters, digits and single dashes, starting with a letter`,
    );
  }
  return name;
}

export function checkTeamName(name: string): string {
  if (!TEAM_NAME.test(name) || name.includes('--')) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${name.slice(0, 64)}" is not a valid team name: use 2 to 30 lowercase letters, digits and single dashes, starting with a letter`,
    );
  }
  return name;
}

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw new YbError('YB_ERR_BAD_REQUEST', `"${role.slice(0, 32)}" is not a role: use one of ${ROLES.join(', ')}`);
  return role as Role;
}

/** Passwords: 8 to 200 characters; nothing else is imposed. */
export function checkPassword(password: string): string {
  if (password.length < 8 || password.length > 200) throw new YbError('YB_ERR_BAD_REQUEST', 'a password must have 8 to 200 characters');
  return password;
}

// Teams (tenants) and their members. Who may change membership: team owners and admins (and platform
// admins); only owners grant or take away the owner role; a team always keeps at least one owner.
// Callers that may not even read a team get "no such team" so names do not leak across tenants.
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { roleIn } from './access.js';
import { checkRole, checkTeamName } from './names.js';
import { getUser } from './users.js';
import type { Role, TeamRecord, User } from './tokens.js';

export async function getTeam(store: Store, name: string): Promise<TeamRecord | null> {
  if (!/^[a-z0-9-]{1,64}$/.test(name)) return null;
  return store.get<TeamRecord>(store.keys.team(name));
}

/** Teams `user` belongs to (every team for platform admins), with the user's role in each. */
export async function teamsOf(store: Store, user: User): Promise<Array<TeamRecord & { role: Role }>> {
  const out: Array<TeamRecord & { role: Role }> = [];
  for (const e of await store.list<TeamRecord>(store.keys.teamsPrefix())) {
    const role = roleIn(user, e.value);
    if (role) out.push({ ...e.value, role: e.value.members[user.name] ?? role });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The team when `user` may see it; a YB_ERR_NOT_FOUND otherwise (also for teams that exist). */
export async function visibleTeam(store: Store, user: User, name: string): Promise<TeamRecord> {
  const team = await getTeam(store, name);
  if (!team || !roleIn(user, team)) throw new YbError('YB_ERR_NOT_FOUND', `no team named "${name.slice(0, 64)}"`);
  return team;
}

export async function createTeam(store: Store, name: string, owner: User): Promise<TeamRecord> {
  checkTeamName(name);
  const team: TeamRecord = { name, members: { [owner.name]: 'owner' }, createdAt: new Date().toISOString() };
  if (!(await store.create(store.keys.team(name), team))) throw new YbError('YB_ERR_CONFLICT', `a team named "${name}" already exists`);
  return team;
}

/** Decides whether `actor` may change `target`'s role from `from` to `to` (null = not a member / removed). Pure. */
export function membershipChangeAllowed(actorRole: Role | null, from: Role | null, to: Role | null): string | null {
  if (actorRole !== 'owner' && actorRole !== 'admin') return 'only owners and admins of a team change its members';
  if ((from === 'owner' || to === 'owner') && actorRole !== 'owner') return 'only owners grant or take away the owner role';
  return null;
}

/** Adds a member, changes a role (`role`) or removes a member (`role` null), with a compare-and-swap retry. */
export async function changeMember(
  store: Store,
  actor: User,
  teamName: string,
  userName: string,
  role: Role | null,
  mode: 'add' | 'set' | 'remove',
): Promise<TeamRecord> {
  if (role !== null) checkRole(role);
  for (let i = 0; i < 20; i++) {
    const entry = await store.getEntry<TeamRecord>(store.keys.team(teamName));
    const team = entry?.value ?? null;
    if (!entry || !team || !roleIn(actor, team)) throw new YbError('YB_ERR_NOT_FOUND', `no team named "${teamName.slice(0, 64)}"`);
    const from = team.members[userName] ?? null;
    const denied = membershipChangeAllowed(roleIn(actor, team), from, role);
    if (denied) throw new YbError('YB_ERR_FORBIDDEN', denied);
    if (mode === 'add') {
      if (from) throw new YbError('YB_ERR_CONFLICT', `${userName} is already a member of ${teamName} (${from}); use members:set-role`);
      if (!(await getUser(store, userName))) throw new YbError('YB_ERR_NOT_FOUND', `no user named "${userName.slice(0, 64)}"`);
    } else if (!from) {
      throw new YbError('YB_ERR_NOT_FOUND', `${userName.slice(0, 64)} is not a member of ${teamName}`);
    }
    const members = { ...team.members };
    if (role) members[userName] = role;
    else delete members[userName];
    if (!Object.values(members).includes('owner')) throw new YbError('YB_ERR_CONFLICT', `${teamName} must keep at least one owner`);
    const next = { ...team, members };
    if (await store.replace(store.keys.team(teamName), next, entry.modRevision)) return next;
  }
  throw new YbError('YB_ERR_CONFLICT', `team ${teamName} is being changed by someone else; try again`);
}

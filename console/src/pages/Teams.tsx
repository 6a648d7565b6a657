// Teams I belong to, their members and roles; owners and admins add members, change roles and remove them;
// anyone may create a team (and owns it). Every change goes through the API, which decides.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import type { Team } from '../api/types';
import { Empty, ErrorNote, Progress } from '../components/common';
import { useApi } from '../lib/use-api';
import { useAction } from '../lib/use-action';

type Member = { user?: string; role?: string };
const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;

export function Teams({ teams, onChange }: { teams: Team[]; onChange: () => void }) {
  const [name, setName] = useState('');
  const { busy, error, act } = useAction(onChange);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (await act(`Creating team ${name}…`, () => call('/teams', { method: 'POST', body: { name } }))) setName('');
  };

  return (
    <main>
      <h1>Teams</h1>
      {teams.length === 0 ? <Empty>You belong to no team yet: create one below, or ask a team owner to add you.</Empty> : null}
      {teams.map((t) => (
        <TeamCard key={t.name} team={t} />
      ))}
      <form onSubmit={create} className="card inline">
        <label>
          New team name
          <input name="team" required pattern="[a-z][a-z0-9-]*[a-z0-9]" minLength={2} maxLength={32} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={Boolean(busy)}>
          Create team
        </button>
      </form>
      {busy ? <Progress label={busy} /> : null}
      <ErrorNote error={error} />
    </main>
  );
}

function TeamCard({ team }: { team: Team }) {
  const name = team.name ?? '';
  const members = useApi(() => call<Member[]>('/teams/{team}/members', { params: { team: name } }), [name]);
  const canManage = team.role === 'owner' || team.role === 'admin';
  const [user, setUser] = useState('');
  const [role, setRole] = useState<string>('member');
  const { busy, error, act } = useAction(members.reload);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await act(`Adding ${user}…`, () => call('/teams/{team}/members', { method: 'POST', params: { team: name }, body: { user, role } }))) setUser('');
  };

  return (
    <section className="card" aria-labelledby={`team-${name}`}>
      <h2 id={`team-${name}`}>
        {name} <span className="muted">your role: {team.role}</span>
      </h2>
      <ErrorNote error={members.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            {canManage ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {members.data?.map((m) => (
            <tr key={m.user}>
              <td>{m.user}</td>
              <td>
                {canManage ? (
                  <select
                    aria-label={`Role of ${m.user}`}
                    value={m.role}
                    disabled={Boolean(busy)}
                    onChange={(e) =>
                      act(`Changing ${m.user}'s role…`, () =>
                        call('/teams/{team}/members/{user}', { method: 'PATCH', params: { team: name, user: m.user ?? '' }, body: { role: e.target.value } }),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              {canManage ? (
                <td>
                  <button
                    type="button"
                    className="danger"
                    disabled={Boolean(busy)}
                    onClick={() =>
                      act(`Removing ${m.user}…`, () => call('/teams/{team}/members/{user}', { method: 'DELETE', params: { team: name, user: m.user ?? '' } }))
                    }
                  >
                    Remove {m.user}
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canManage ? (
        <form onSubmit={add} className="inline add-member">
          <label>
            User name
            <input name="user" required value={user} onChange={(e) => setUser(e.target.value)} />
          </label>
          <label>
            Role
            <select name="role" value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={Boolean(busy)}>
            Add to {name}
          </button>
        </form>
      ) : null}
    </section>
  );
}

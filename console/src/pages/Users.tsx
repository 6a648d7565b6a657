// Platform users, for administrators: list, create one (with an optional password; its first API token is shown
// this once) and remove one after a confirmation. Others get the API's refusal in its own words.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import { Empty, ErrorNote, Progress } from '../components/common';
import { ago } from '../lib/text';
import { useAction } from '../lib/use-action';
import { useApi } from '../lib/use-api';

type UserRow = { name: string; admin: boolean; createdAt?: string };

export function Users({ me, admin }: { me: string; admin: boolean }) {
  const users = useApi(() => call<UserRow[]>('/users'), []);
  const { busy, error, act } = useAction(users.reload);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const [confirming, setConfirming] = useState('');

  const create = (e: FormEvent) => {
    e.preventDefault();
    void act(`Creating the user ${name}…`, async () => {
      const r = await call<{ name: string; token: string }>('/users', { method: 'POST', body: { name, admin: isAdmin, ...(password ? { password } : {}) } });
      setCreated({ name: r.name, token: r.token });
      setName('');
      setPassword('');
      setIsAdmin(false);
    });
  };
  const remove = (u: string) => {
    setConfirming('');
    void act(`Removing ${u} with their tokens, keys and memberships…`, () => call('/users/{user}', { method: 'DELETE', params: { user: u } }));
  };

  return (
    <main>
      <h1>Users</h1>
      {!admin ? <p className="muted">Only platform administrators manage users.</p> : null}
      {created ? (
        <div className="card" role="status">
          <strong>User {created.name} created. Their first API token: give it to them now, it is not shown again.</strong>
          <pre className="commands" data-testid="new-user-token">
            {created.token}
          </pre>
        </div>
      ) : null}
      <ErrorNote error={users.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {users.data?.length === 0 ? <Empty>No users: create one below.</Empty> : null}
      {users.data?.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Administrator</th>
              <th scope="col">Created</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.name}>
                <td>{u.name}</td>
                <td>{u.admin ? 'yes' : 'no'}</td>
                <td title={u.createdAt}>{ago(u.createdAt)}</td>
                <td>
                  {u.name === me ? (
                    <span className="muted">you</span>
                  ) : confirming === u.name ? (
                    <span>
                      Remove {u.name}? Their tokens stop working at once.{' '}
                      <button type="button" className="danger" onClick={() => remove(u.name)} disabled={Boolean(busy)}>
                        Yes, remove {u.name}
                      </button>{' '}
                      <button type="button" onClick={() => setConfirming('')}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="danger" onClick={() => setConfirming(u.name)} disabled={Boolean(busy)}>
                      Remove {u.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {admin ? (
        <form onSubmit={create} className="card inline">
          <label>
            New user's name
            <input name="user" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Password (optional, at least 8 characters)
            <input name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} /> Platform administrator
          </label>
          <button type="submit" className="primary" disabled={Boolean(busy)}>
            Create user
          </button>
        </form>
      ) : null}
    </main>
  );
}

// Persistent volumes of my teams: their usage and mounts; create one, mount it into an app at a path (the app's
// processes roll out again), unmount it, destroy it after a confirmation. Everything through the public API.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import type { App, Team } from '../api/types';
import { Empty, ErrorNote, Link, Progress } from '../components/common';
import { appPath } from '../lib/route';
import { ago, formatBytes, mayChange } from '../lib/text';
import { useAction } from '../lib/use-action';
import { useApi } from '../lib/use-api';

type Volume = {
  name: string;
  team: string;
  createdAt?: string;
  createdBy?: string;
  bytes: number | null;
  mounts: Array<{ app: string; path: string; types?: string[] }>;
};

export function Storage({ teams }: { teams: Team[] }) {
  const volumes = useApi(() => call<Volume[]>('/storage'), []);
  const apps = useApi(() => call<App[]>('/apps'), []);
  const allowed = teams.filter((t) => mayChange(t.role));
  const [name, setName] = useState('');
  const [team, setTeam] = useState(allowed[0]?.name ?? '');
  const [confirming, setConfirming] = useState('');
  const { busy, error, act } = useAction(volumes.reload);
  const teamRole = (t: string) => teams.find((x) => x.name === t)?.role;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (await act(`Creating the volume ${name}…`, () => call('/storage', { method: 'POST', body: { name, team: team || allowed[0]?.name } }))) setName('');
  };
  const destroy = (v: string) => {
    setConfirming('');
    void act(`Destroying ${v} and its data…`, () => call('/storage/{name}', { method: 'DELETE', params: { name: v } }));
  };

  return (
    <main>
      <h1>Storage</h1>
      <p className="muted">Volumes keep files across deploys and restarts. Mount one into an app's processes at a path; its data stays when unmounted.</p>
      <ErrorNote error={volumes.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {volumes.loading && !volumes.data ? <Progress label="Loading volumes…" /> : null}
      {volumes.data?.length === 0 ? <Empty>No volumes yet: create one below, then mount it into an app.</Empty> : null}
      {volumes.data?.map((v) => {
        const canChange = mayChange(teamRole(v.team));
        const mountable = (apps.data ?? []).filter((a) => a.team === v.team && !v.mounts.some((m) => m.app === a.name));
        return (
          <section key={v.name} className="card" aria-labelledby={`vol-${v.name}`}>
            <h2 id={`vol-${v.name}`}>
              {v.name}{' '}
              <span className="muted">
                team {v.team} · {formatBytes(v.bytes)} used{v.createdAt ? ` · created ${ago(v.createdAt)}` : ''}
              </span>
            </h2>
            {v.mounts.length ? (
              <ul className="dynos">
                {v.mounts.map((m) => (
                  <li key={m.app}>
                    mounted in <Link to={appPath(m.app, 'operations')}>{m.app}</Link> at <code>{m.path}</code>
                    {m.types?.length ? ` (${m.types.join(', ')})` : ''}{' '}
                    {canChange ? (
                      <button
                        type="button"
                        disabled={Boolean(busy)}
                        onClick={() =>
                          act(`Unmounting ${v.name} from ${m.app} and rolling its processes out…`, () =>
                            call('/apps/{app}/storage/{volume}', { method: 'DELETE', params: { app: m.app, volume: v.name } }),
                          )
                        }
                      >
                        Unmount from {m.app}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">Not mounted by any app.</p>
            )}
            {canChange && mountable.length ? (
              <form
                className="inline"
                onSubmit={(e) => {
                  e.preventDefault();
                  const f = new FormData(e.currentTarget);
                  const app = String(f.get('app'));
                  const path = String(f.get('path'));
                  void act(`Mounting ${v.name} into ${app} at ${path} and rolling its processes out…`, () =>
                    call('/apps/{app}/storage/{volume}', { method: 'PUT', params: { app, volume: v.name }, body: { path } }),
                  );
                }}
              >
                <label>
                  App to mount {v.name} into
                  <select name="app">
                    {mountable.map((a) => (
                      <option key={a.name}>{a.name}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Path in the app for {v.name}
                  <input name="path" required defaultValue="/data" maxLength={200} />
                </label>
                <button type="submit" disabled={Boolean(busy)}>
                  Mount {v.name}
                </button>
              </form>
            ) : null}
            {canChange && !v.mounts.length && confirming !== v.name ? (
              <button type="button" className="danger" onClick={() => setConfirming(v.name)} disabled={Boolean(busy)}>
                Destroy {v.name}
              </button>
            ) : null}
            {confirming === v.name ? (
              <span>
                Destroy {v.name} and every file in it? This cannot be undone.{' '}
                <button type="button" className="danger" onClick={() => destroy(v.name)} disabled={Boolean(busy)}>
                  Yes, destroy {v.name}
                </button>{' '}
                <button type="button" onClick={() => setConfirming('')}>
                  Cancel
                </button>
              </span>
            ) : null}
          </section>
        );
      })}
      {allowed.length ? (
        <form onSubmit={create} className="card inline">
          <label>
            Volume name
            <input name="volume" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Team
            <select name="team" value={team} onChange={(e) => setTeam(e.target.value)}>
              {allowed.map((t) => (
                <option key={t.name}>{t.name}</option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={Boolean(busy)}>
            Create volume
          </button>
        </form>
      ) : (
        <Empty>Your roles are read-only: creating volumes needs owner, admin or member in a team.</Empty>
      )}
    </main>
  );
}

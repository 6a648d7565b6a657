// One service's credentials (fetched only when asked, and only shown to roles the API lets manage it) and its
// backups: take one now, list them, restore one after a confirmation. Everything through the public API.
import { useState } from 'react';
import { call } from '../api/client';
import { Empty, ErrorNote, Progress } from '../components/common';
import { ago, formatBytes } from '../lib/text';
import { useAction } from '../lib/use-action';
import { useApi } from '../lib/use-api';

type Connection = { scheme?: string; host?: string; port?: number; user?: string; password?: string; database?: string; url?: string };
type Backup = { id: string; bytes: number; createdAt: string };

export function ServiceDetails({ name, kind }: { name: string; kind: string | null }) {
  const [credentials, setCredentials] = useState<Connection | null>(null);
  const backups = useApi(() => (kind ? call<Backup[]>('/services/{name}/backups', { params: { name } }) : Promise.resolve([])), [name, kind]);
  const { busy, error, act } = useAction(backups.reload);
  const [confirming, setConfirming] = useState('');
  const [done, setDone] = useState('');

  const reveal = () =>
    act(`Fetching the credentials of ${name}…`, async () => {
      const s = await call<{ connection: Connection }>('/services/{name}', { params: { name } });
      setCredentials(s.connection);
    });
  const backUp = () =>
    act(`Backing up ${name} (a ${kind === 'redis' ? 'Redis RDB snapshot' : 'dump of its data'}); this takes as long as the data is large…`, async () => {
      const b = await call<Backup>('/services/{name}/backups', { method: 'POST', params: { name } });
      setDone(`Backup ${b.id} of ${name} taken (${formatBytes(b.bytes)}).`);
    });
  const restore = (id: string) => {
    setConfirming('');
    void act(`Restoring ${name} from ${id}: its data is being replaced…`, async () => {
      await call('/services/{name}/backups/{backup}/restore', { method: 'POST', params: { name, backup: id } });
      setDone(`${name} now holds the data of backup ${id}.`);
    });
  };

  return (
    <div className="details">
      <ErrorNote error={error ?? backups.error} />
      {busy ? <Progress label={busy} /> : null}
      {done && !busy ? <p role="status">{done}</p> : null}
      {credentials ? (
        <>
          <dl className="facts" data-testid={`credentials-${name}`}>
            <dt>URL</dt>
            <dd>
              <code>{credentials.url}</code>
            </dd>
            <dt>User</dt>
            <dd>
              <code>{credentials.user || '—'}</code>
            </dd>
            <dt>Password</dt>
            <dd>
              <code>{credentials.password || '—'}</code>
            </dd>
          </dl>
          <button type="button" onClick={() => setCredentials(null)}>
            Hide the credentials of {name}
          </button>
        </>
      ) : (
        <button type="button" onClick={reveal} disabled={Boolean(busy)}>
          Show the credentials of {name}
        </button>
      )}
      {kind ? (
        <>
          <h3>Backups of {name}</h3>
          {backups.data?.length === 0 ? <Empty>No backups of {name} yet: take one now, before a risky change.</Empty> : null}
          {backups.data?.length ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">Backup</th>
                  <th scope="col">Taken</th>
                  <th scope="col">Size</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {[...backups.data].reverse().map((b) => (
                  <tr key={b.id}>
                    <td>
                      <code>{b.id}</code>
                    </td>
                    <td title={b.createdAt}>{ago(b.createdAt)}</td>
                    <td>{formatBytes(b.bytes)}</td>
                    <td>
                      {confirming === b.id ? (
                        <span>
                          Replace all data of {name} with this backup?{' '}
                          <button type="button" className="danger" onClick={() => restore(b.id)} disabled={Boolean(busy)}>
                            Yes, restore {b.id}
                          </button>{' '}
                          <button type="button" onClick={() => setConfirming('')}>
                            Cancel
                          </button>
                        </span>
                      ) : (
                        <button type="button" onClick={() => setConfirming(b.id)} disabled={Boolean(busy)}>
                          Restore {b.id}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <button type="button" onClick={backUp} disabled={Boolean(busy)}>
            Back up {name} now
          </button>
        </>
      ) : null}
    </div>
  );
}

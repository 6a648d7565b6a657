// My API tokens: list (ids and descriptions only), create (the token is shown this once), revoke; my SSH keys below.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import { Empty, ErrorNote, Progress } from '../components/common';
import { ago } from '../lib/text';
import { useApi } from '../lib/use-api';
import { useAction } from '../lib/use-action';
import { SshKeys } from './SshKeys';

type TokenRow = { id?: string; description?: string; createdAt?: string };

export function Tokens() {
  const tokens = useApi(() => call<TokenRow[]>('/tokens'), []);
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<{ token: string; description: string }>();

  const { busy, error, act } = useAction(tokens.reload);

  const create = (e: FormEvent) => {
    e.preventDefault();
    void act('Creating a token…', async () => {
      const r = await call<{ token: string }>('/tokens', { method: 'POST', body: { description } });
      setCreated({ token: r.token, description });
      setDescription('');
    });
  };

  return (
    <main>
      <h1>API tokens</h1>
      <p className="muted">
        For the yb CLI (YB_API_TOKEN), git push over HTTP (as the password) and scripts. Revoking one ends every console session made with it.
      </p>
      {created ? (
        <div className="card" role="status">
          <strong>New token “{created.description || 'no description'}”: copy it now, it is not shown again.</strong>
          <pre className="commands" data-testid="new-token">
            {created.token}
          </pre>
        </div>
      ) : null}
      <ErrorNote error={tokens.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {tokens.data?.length === 0 ? <Empty>No tokens: create one below.</Empty> : null}
      {tokens.data?.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Description</th>
              <th scope="col">Created</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td>
                  <code>{t.id}</code>
                </td>
                <td>{t.description}</td>
                <td title={t.createdAt}>{ago(t.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    disabled={Boolean(busy)}
                    onClick={() => act(`Revoking ${t.id}…`, async () => void (await call('/tokens/{id}', { method: 'DELETE', params: { id: t.id ?? '' } })))}
                  >
                    Revoke {t.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form onSubmit={create} className="card inline">
        <label>
          Description
          <input name="description" maxLength={100} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={Boolean(busy)}>
          Create token
        </button>
      </form>
      <SshKeys />
    </main>
  );
}

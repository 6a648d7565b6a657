// My SSH public keys for git over SSH, next to my API tokens: list (fingerprint, type, comment), add one, remove one.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import { Empty, ErrorNote, Progress } from '../components/common';
import { ago } from '../lib/text';
import { useAction } from '../lib/use-action';
import { useApi } from '../lib/use-api';

type Key = { fingerprint: string; type: string; comment: string; createdAt: string };

export function SshKeys() {
  const keys = useApi(() => call<Key[]>('/keys'), []);
  const { busy, error, act } = useAction(keys.reload);
  const [publicKey, setPublicKey] = useState('');

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await act('Adding the key…', () => call('/keys', { method: 'POST', body: { publicKey: publicKey.trim() } }))) setPublicKey('');
  };

  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">SSH keys</h2>
      <p className="muted">
        For <code>git push</code> over SSH. Paste a public key (the contents of <code>~/.ssh/id_ed25519.pub</code>), never the private one.
      </p>
      <ErrorNote error={keys.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {keys.data?.length === 0 ? <Empty>No SSH keys: add your public key below to push over SSH.</Empty> : null}
      {keys.data?.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Fingerprint</th>
              <th scope="col">Type</th>
              <th scope="col">Comment</th>
              <th scope="col">Added</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.fingerprint}>
                <td>
                  <code className="wrap">{k.fingerprint}</code>
                </td>
                <td>{k.type}</td>
                <td>{k.comment || '—'}</td>
                <td title={k.createdAt}>{ago(k.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    disabled={Boolean(busy)}
                    onClick={() =>
                      act(`Removing ${k.comment || k.fingerprint}…`, () => call('/keys/{key}', { method: 'DELETE', params: { key: k.fingerprint } }))
                    }
                  >
                    Remove {k.comment || k.fingerprint}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form onSubmit={add} className="card">
        <label>
          Public key
          <textarea
            name="publicKey"
            required
            rows={3}
            value={publicKey}
            onChange={(e) => setPublicKey(e.target.value)}
            placeholder="ssh-ed25519 AAAA… you@laptop"
          />
        </label>
        <button type="submit" className="primary" disabled={Boolean(busy)}>
          Add key
        </button>
      </form>
    </section>
  );
}

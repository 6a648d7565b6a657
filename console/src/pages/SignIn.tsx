// Sign-in: user name + password, or an API token. Gets an HttpOnly session cookie (POST /session); the page keeps
// only the CSRF token, never a credential.
import { type FormEvent, useState } from 'react';
import { call, setCsrf } from '../api/client';
import type { Session } from '../api/types';
import { ErrorNote } from '../components/common';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await call<Session>('/session', { method: 'POST', body: mode === 'password' ? { name, password } : { token } });
      setCsrf(s.csrfToken);
      onSignedIn(s);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <h1>Sign in to Yunbang</h1>
      <div className="tabs" role="tablist" aria-label="How to sign in">
        <button type="button" role="tab" aria-selected={mode === 'password'} onClick={() => setMode('password')}>
          User name and password
        </button>
        <button type="button" role="tab" aria-selected={mode === 'token'} onClick={() => setMode('token')}>
          API token
        </button>
      </div>
      <form onSubmit={submit} className="card">
        {mode === 'password' ? (
          <>
            <label>
              User name
              <input name="name" autoComplete="username" required value={name} onChange={(e) => setName(e.target.value)} />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
          </>
        ) : (
          <>
            <label>
              API token
              <input
                name="token"
                type="password"
                autoComplete="off"
                required
                aria-describedby="token-hint"
                value={token}
                onChange={(e) => setToken(e.target.value)}
              />
            </label>
            <span id="token-hint" className="hint">
              For example the admin token printed by npm start, or one from yb tokens:create.
            </span>
          </>
        )}
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

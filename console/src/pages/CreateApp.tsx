// Create an app in one of my teams; then give it code one of three ways: git push (its remote and the exact
// commands), upload a tarball (source or with a Dockerfile, previewed first), or an image already imported.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import type { App, Team } from '../api/types';
import { ErrorNote, Link } from '../components/common';
import { ImageDeploy, UploadDeploy } from '../components/DeployFrom';
import { appPath } from '../lib/route';
import { mayChange } from '../lib/text';

export function CreateApp({ teams }: { teams: Team[] }) {
  const allowed = teams.filter((t) => mayChange(t.role));
  const [name, setName] = useState('');
  const [team, setTeam] = useState(allowed[0]?.name ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<App>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await call<App>('/apps', { method: 'POST', body: { name, team } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (created?.name)
    return (
      <main>
        <h1>{created.name} is ready for its first push</h1>
        <p>Give it its code one of three ways: push with git, upload a tarball (source or with a Dockerfile), or deploy an image already imported.</p>
        <section className="card">
          <h2>Push your code</h2>
          <p>Inside your app's git repository (a Node.js app with package.json listening on $PORT, a Dockerfile, or any buildpack app):</p>
          <pre className="commands">{`git remote add yb ${created.gitUrl}\ngit push yb main`}</pre>
          <p className="hint">
            git asks for a password: give an API token (yb tokens:create). With the yb CLI, yb apps:create sets up a credential helper instead.
          </p>
          <p>
            The build streams live on the <Link to={appPath(created.name)}>app page</Link>; once it runs, it answers at{' '}
            <a href={created.webUrl}>{created.webUrl}</a>.
          </p>
        </section>
        <UploadDeploy app={created.name} />
        <ImageDeploy app={created.name} />
        <button
          type="button"
          onClick={() => {
            setCreated(undefined);
            setName('');
          }}
        >
          Create another app
        </button>
      </main>
    );

  return (
    <main>
      <h1>Create an app</h1>
      {allowed.length === 0 ? (
        <ErrorNote error={new Error('your role does not allow creating apps in any of your teams; ask a team owner to make you a member')} />
      ) : (
        <form onSubmit={submit} className="card">
          <label>
            Name
            <input name="name" required pattern="[a-z][a-z0-9-]{2,29}" aria-describedby="name-hint" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <span id="name-hint" className="hint">
            3–30 lowercase letters, digits and single dashes, starting with a letter; it becomes the host name {name || 'NAME'}.&lt;domain&gt;.
          </span>
          <label>
            Team
            <select name="team" value={team} onChange={(e) => setTeam(e.target.value)}>
              {allowed.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create app'}
          </button>
        </form>
      )}
    </main>
  );
}

// The console shell: finds the browser's session (GET /session), shows sign-in without one, else the header,
// the page the URL names, and sign-out (which ends the session on the server).
import { useEffect, useState } from 'react';
import { ApiError, call, setCsrf } from './api/client';
import type { Session, Team } from './api/types';
import { ErrorNote, Link, Progress } from './components/common';
import { Apps } from './pages/Apps';
import { CreateApp } from './pages/CreateApp';
import { Services } from './pages/Services';
import { SignIn } from './pages/SignIn';
import { Teams } from './pages/Teams';
import { Tokens } from './pages/Tokens';
import { Storage } from './pages/Storage';
import { Audit } from './pages/Audit';
import { Users } from './pages/Users';
import { AppPage } from './pages/app/AppPage';
import { useRoute } from './lib/route';

export function App() {
  const [session, setSession] = useState<Session | null>();
  const [teams, setTeams] = useState<Team[]>([]);
  const [error, setError] = useState<unknown>();
  const route = useRoute();

  useEffect(() => {
    call<Session>('/session').then(
      (s) => (setCsrf(s.csrfToken), setSession(s)),
      (e: unknown) => (e instanceof ApiError && e.status === 401 ? setSession(null) : setError(e)),
    );
  }, []);
  const [teamsVersion, setTeamsVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: teamsVersion is the "teams changed" signal from the Teams page
  useEffect(() => {
    if (session) call<Team[]>('/teams').then(setTeams, setError);
  }, [session, teamsVersion]);

  const signOut = async () => {
    try {
      await call('/session', { method: 'DELETE' });
      setSession(null);
      setCsrf('');
    } catch (e) {
      setError(e);
    }
  };

  if (error && session === undefined) return <ErrorNote error={error} />;
  if (session === undefined) return <Progress label="Connecting to Yunbang…" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          Yunbang
        </Link>
        <nav aria-label="Main">
          <Link to="/">Apps</Link>
          <Link to="/console/new">Create app</Link>
          <Link to="/console/services">Services</Link>
          <Link to="/console/teams">Teams</Link>
          <Link to="/console/storage">Storage</Link>
          <Link to="/console/tokens">Tokens</Link>
          <Link to="/console/audit">Audit</Link>
          {session.user.admin ? <Link to="/console/users">Users</Link> : null}
        </nav>
        <span className="who">
          {session.user.name}
          {session.user.admin ? ' (admin)' : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <ErrorNote error={error} />
      {route.page === 'apps' ? <Apps teams={teams} /> : null}
      {route.page === 'new' ? <CreateApp key={teams.length} teams={teams} /> : null}
      {route.page === 'app' ? <AppPage name={route.app} tab={route.tab} teams={teams} admin={session.user.admin} /> : null}
      {route.page === 'teams' ? <Teams teams={teams} onChange={() => setTeamsVersion((v) => v + 1)} /> : null}
      {route.page === 'tokens' ? <Tokens /> : null}
      {route.page === 'services' ? <Services key={teams.length} teams={teams} /> : null}
      {route.page === 'storage' ? <Storage key={teams.length} teams={teams} /> : null}
      {route.page === 'audit' ? <Audit teams={teams} /> : null}
      {route.page === 'users' ? <Users me={session.user.name} admin={session.user.admin} /> : null}
      {route.page === 'missing' ? (
        <main>
          <h1>No such page</h1>
          <p>
            The console has no page at <code>{route.path}</code>. <Link to="/">Go to your apps</Link>.
          </p>
        </main>
      ) : null}
    </>
  );
}

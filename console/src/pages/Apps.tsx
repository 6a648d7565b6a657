// Apps overview: every app of my teams with its state, current release, URL, processes and last deploy;
// filter by team and search by name.
import { useState } from 'react';
import { call } from '../api/client';
import type { App, Dyno, Release, Team } from '../api/types';
import { Empty, ErrorNote, Link, Progress, StateBadge } from '../components/common';
import { appPath } from '../lib/route';
import { ago, appState, filterApps, processSummary } from '../lib/text';
import { useApi } from '../lib/use-api';

interface Row {
  app: App & { name: string; team: string };
  dynos: Dyno[];
  last?: Release;
}

async function loadRows(): Promise<Row[]> {
  const apps = (await call<App[]>('/apps')).filter((a): a is Row['app'] => Boolean(a.name && a.team));
  return Promise.all(
    apps.map(async (app) => {
      const params = { app: app.name };
      const [dynos, releases] = await Promise.all([call<Dyno[]>('/apps/{app}/dynos', { params }), call<Release[]>('/apps/{app}/releases', { params })]);
      return { app, dynos, last: releases.at(-1) };
    }),
  );
}

export function Apps({ teams }: { teams: Team[] }) {
  const { data, error, loading } = useApi(loadRows, []);
  const [team, setTeam] = useState('');
  const [query, setQuery] = useState('');
  const rows = data
    ? filterApps(
        data.map((r) => ({ ...r, name: r.app.name, team: r.app.team })),
        team,
        query,
      )
    : [];

  return (
    <main>
      <div className="page-head">
        <h1>Apps</h1>
        <Link to="/console/new" className="button primary">
          Create app
        </Link>
      </div>
      <div className="filters">
        <label>
          Team
          <select value={team} onChange={(e) => setTeam(e.target.value)}>
            <option value="">All teams</option>
            {teams.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" placeholder="app name" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </div>
      <ErrorNote error={error} />
      {loading && !data ? <Progress label="Loading your apps…" /> : null}
      {data && data.length === 0 ? (
        <Empty>
          <p>No apps yet. Create one, then push your code to it with git.</p>
          <Link to="/console/new" className="button primary">
            Create your first app
          </Link>
        </Empty>
      ) : null}
      {data && data.length > 0 && rows.length === 0 ? <Empty>No app matches this filter.</Empty> : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table className="apps">
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Team</th>
                <th scope="col">State</th>
                <th scope="col">Release</th>
                <th scope="col">Processes</th>
                <th scope="col">Last deploy</th>
                <th scope="col">URL</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.app.name}>
                  <td data-label="App">
                    <Link to={appPath(r.app.name)}>{r.app.name}</Link>
                  </td>
                  <td data-label="Team">{r.app.team}</td>
                  <td data-label="State">
                    <StateBadge state={appState(r.dynos, r.last?.status === 'pending')} />
                  </td>
                  <td data-label="Release">{r.app.currentRelease ? `v${r.app.currentRelease}` : '—'}</td>
                  <td data-label="Processes">{processSummary(r.dynos) || 'none'}</td>
                  <td data-label="Last deploy">{r.last ? `${ago(r.last.createdAt)} by ${r.last.createdBy ?? '?'}` : 'never'}</td>
                  <td data-label="URL">
                    {r.app.webUrl ? (
                      <a href={r.app.webUrl} rel="noreferrer">
                        {r.app.webUrl}
                      </a>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </main>
  );
}

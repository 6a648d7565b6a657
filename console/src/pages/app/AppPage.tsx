// One app: its header (state, release, URL, git remote) and tabs for processes with live deploy output,
// releases, config vars and live logs. Controls that change the app are shown only to roles that may.
import { call } from '../../api/client';
import type { App, Team } from '../../api/types';
import { ErrorNote, Link, Progress } from '../../components/common';
import { APP_TABS, type AppTab, appPath } from '../../lib/route';
import { mayChange } from '../../lib/text';
import { useApi } from '../../lib/use-api';
import { ConfigTab } from './ConfigTab';
import { LogsTab } from './LogsTab';
import { OperationsTab } from './OperationsTab';
import { OverviewTab } from './OverviewTab';
import { ReleasesTab } from './ReleasesTab';
import { DepsTab } from './DepsTab';
import { DomainsTab } from './DomainsTab';
import { MetricsTab } from './MetricsTab';
import { TerminalTab } from './TerminalTab';

const LABELS: Record<AppTab, string> = {
  overview: 'Processes & deploys',
  releases: 'Releases & builds',
  config: 'Config vars',
  logs: 'Logs',
  operations: 'Maintenance, jobs & storage',
  metrics: 'Metrics',
  domains: 'Domains & drains',
  deps: 'Dependencies',
  terminal: 'Run a command',
};

export function AppPage({ name, tab, teams, admin }: { name: string; tab: AppTab; teams: Team[]; admin: boolean }) {
  const { data: app, error, reload } = useApi(() => call<App>('/apps/{app}', { params: { app: name } }), [name]);
  if (error)
    return (
      <main>
        <h1>{name}</h1>
        <ErrorNote error={error} />
        <Link to="/">Back to your apps</Link>
      </main>
    );
  if (!app) return <Progress label={`Loading ${name}…`} />;
  const role = admin ? 'owner' : teams.find((t) => t.name === app.team)?.role;
  const canChange = mayChange(role);
  return (
    <main>
      <div className="page-head">
        <h1>{name}</h1>
        <span className="muted">
          team {app.team} · {role ?? 'no role'}
          {canChange ? '' : ' (read only)'}
        </span>
      </div>
      <dl className="facts">
        <dt>Release</dt>
        <dd>{app.currentRelease ? `v${app.currentRelease}` : 'none yet'}</dd>
        <dt>URL</dt>
        <dd>
          <a href={app.webUrl}>{app.webUrl}</a>
        </dd>
        <dt>Git remote</dt>
        <dd>
          <code>{app.gitUrl}</code>
        </dd>
      </dl>
      <nav className="tabs" aria-label="App sections">
        {APP_TABS.map((t) => (
          <Link key={t} to={appPath(name, t)} className={t === tab ? 'current' : ''}>
            {LABELS[t]}
          </Link>
        ))}
      </nav>
      {tab === 'overview' ? <OverviewTab app={name} canChange={canChange} onRelease={reload} /> : null}
      {tab === 'releases' ? <ReleasesTab app={name} canChange={canChange} onRelease={reload} /> : null}
      {tab === 'config' ? <ConfigTab app={name} canChange={canChange} onRelease={reload} /> : null}
      {tab === 'logs' ? <LogsTab app={name} /> : null}
      {tab === 'operations' ? <OperationsTab app={name} canChange={canChange} /> : null}
      {tab === 'metrics' ? <MetricsTab app={name} /> : null}
      {tab === 'domains' ? <DomainsTab app={name} canChange={canChange} /> : null}
      {tab === 'deps' ? <DepsTab app={name} canChange={canChange} /> : null}
      {tab === 'terminal' ? <TerminalTab app={name} canRun={canChange} /> : null}
    </main>
  );
}

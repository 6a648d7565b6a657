// Backing services of my teams: create one (postgres, redis, mysql; the answer comes when it is ready), link it to
// an app (a new release with <ALIAS>_URL and friends) and unlink it; credentials and backups for roles that manage it.
import { type FormEvent, useState } from 'react';
import { call } from '../api/client';
import type { App, Team } from '../api/types';
import { Empty, ErrorNote, Progress, StateBadge } from '../components/common';
import { mayChange } from '../lib/text';
import { useApi } from '../lib/use-api';
import { useAction } from '../lib/use-action';
import { ServiceDetails } from './ServiceDetails';

type Service = { name: string; team: string; kind: string | null; state?: string; status?: string; links: Array<{ app: string; alias: string }> };
const KINDS = ['postgres', 'redis', 'mysql'] as const;

export function Services({ teams }: { teams: Team[] }) {
  const services = useApi(() => call<Service[]>('/services'), []);
  const apps = useApi(() => call<App[]>('/apps'), []);
  const allowed = teams.filter((t) => mayChange(t.role));
  const [name, setName] = useState('');
  const [kind, setKind] = useState<string>('postgres');
  const [team, setTeam] = useState(allowed[0]?.name ?? '');

  const { busy, error, act } = useAction(services.reload);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const t = team || allowed[0]?.name;
    if (
      await act(`Creating ${kind} ${name}: starting its container and waiting until it accepts connections…`, () =>
        call('/services', { method: 'POST', body: { name, kind, team: t } }),
      )
    )
      setName('');
  };

  const teamRole = (t: string) => teams.find((x) => x.name === t)?.role;
  return (
    <main>
      <h1>Services</h1>
      <ErrorNote error={services.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {services.loading && !services.data ? <Progress label="Loading services…" /> : null}
      {services.data?.length === 0 ? <Empty>No services yet: create a database or cache below, then link it to an app.</Empty> : null}
      {services.data?.map((s) => {
        const canChange = mayChange(teamRole(s.team));
        const linkable = (apps.data ?? []).filter((a) => a.team === s.team && !s.links.some((l) => l.app === a.name));
        return (
          <section key={s.name} className="card" aria-labelledby={`svc-${s.name}`}>
            <h2 id={`svc-${s.name}`}>
              {s.name}{' '}
              <span className="muted">
                {s.kind ?? 'attached'} · team {s.team}
              </span>{' '}
              <StateBadge state={s.state ?? s.status ?? '?'} />
            </h2>
            {s.links.length ? (
              <ul className="dynos">
                {s.links.map((l) => (
                  <li key={l.app}>
                    linked to <strong>{l.app}</strong> as <code>{l.alias}_URL</code>{' '}
                    {canChange ? (
                      <button
                        type="button"
                        className="danger"
                        disabled={Boolean(busy)}
                        onClick={() =>
                          act(`Unlinking ${s.name} from ${l.app}…`, () =>
                            call('/services/{name}/links/{app}', { method: 'DELETE', params: { name: s.name, app: l.app } }),
                          )
                        }
                      >
                        Unlink from {l.app}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">Not linked to any app.</p>
            )}
            {canChange && linkable.length ? (
              <form
                className="inline"
                onSubmit={(e) => {
                  e.preventDefault();
                  const app = String(new FormData(e.currentTarget).get('app'));
                  void act(`Linking ${s.name} to ${app} and rolling out the new release…`, () =>
                    call('/services/{name}/links', { method: 'POST', params: { name: s.name }, body: { app } }),
                  );
                }}
              >
                <label>
                  App to link {s.name} to
                  <select name="app">
                    {linkable.map((a) => (
                      <option key={a.name}>{a.name}</option>
                    ))}
                  </select>
                </label>
                <button type="submit" disabled={Boolean(busy)}>
                  Link {s.name}
                </button>
              </form>
            ) : null}
            {canChange ? <ServiceDetails name={s.name} kind={s.kind} /> : null}
          </section>
        );
      })}
      {allowed.length ? (
        <form onSubmit={create} className="card inline">
          <label>
            Service name
            <input name="service" required pattern="[a-z][a-z0-9-]{1,29}" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Kind
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
              {KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
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
            Create service
          </button>
        </form>
      ) : null}
    </main>
  );
}

// Audit events of my teams (and my account's, or everyone's for administrators), newest first: the API filters by
// app and count; team, actor, action and time narrow what it answered (lib/audit.ts). Read-only.
import { useState } from 'react';
import { call } from '../api/client';
import type { Team } from '../api/types';
import { Empty, ErrorNote, Progress } from '../components/common';
import { type AuditEvent, type AuditFilter, detailLine, distinct, filterEvents, NO_FILTER } from '../lib/audit';
import { ago } from '../lib/text';
import { useApi } from '../lib/use-api';

const SINCE: Array<[number, string]> = [
  [0, 'any time'],
  [1, 'the last hour'],
  [24, 'the last day'],
  [168, 'the last week'],
];
const teamLabel = (t: string) => (t === '_account' ? 'accounts (sign-ins, keys, users)' : t);

export function Audit({ teams }: { teams: Team[] }) {
  const [app, setApp] = useState('');
  const [applied, setApplied] = useState({ app: '', limit: '200' });
  const [f, setF] = useState<AuditFilter>(NO_FILTER);
  const events = useApi(() => call<AuditEvent[]>('/events', { query: { app: applied.app || undefined, limit: applied.limit } }), [applied.app, applied.limit]);
  const all = events.data ?? [];
  const shown = filterEvents(all, f);
  const set = (p: Partial<AuditFilter>) => setF((x) => ({ ...x, ...p }));
  const teamChoices = [...new Set([...teams.map((t) => t.name ?? ''), ...distinct(all, 'team')])].filter(Boolean).sort();

  return (
    <main>
      <h1>Audit events</h1>
      <p className="muted">Who changed what, when and from where, in your teams: app changes, deploys, runs, members, tokens and keys.</p>
      <form
        className="card inline filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied((a) => ({ ...a, app: app.trim() }));
        }}
      >
        <label>
          App
          <input name="app" value={app} maxLength={64} placeholder="all apps" onChange={(e) => setApp(e.target.value)} />
        </label>
        <button type="submit">Show the app's events</button>
        <label>
          Team
          <select value={f.team} onChange={(e) => set({ team: e.target.value })}>
            <option value="">all teams</option>
            {teamChoices.map((t) => (
              <option key={t} value={t}>
                {teamLabel(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Actor
          <select value={f.actor} onChange={(e) => set({ actor: e.target.value })}>
            <option value="">anyone</option>
            {distinct(all, 'user').map((u) => (
              <option key={u}>{u}</option>
            ))}
          </select>
        </label>
        <label>
          Action
          <input value={f.action} maxLength={64} placeholder="e.g. config, deploy" onChange={(e) => set({ action: e.target.value })} list="audit-actions" />
          <datalist id="audit-actions">
            {distinct(all, 'action').map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Time
          <select value={String(f.sinceHours)} onChange={(e) => set({ sinceHours: Number(e.target.value) })}>
            {SINCE.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          At most
          <select value={applied.limit} onChange={(e) => setApplied((a) => ({ ...a, limit: e.target.value }))}>
            {['50', '200', '1000'].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={events.error} />
      {events.loading ? <Progress label="Loading audit events…" /> : null}
      {events.data && shown.length === 0 ? (
        <Empty>
          {all.length
            ? 'No event matches these filters: widen the time or clear a filter.'
            : 'No events yet: they appear as your teams create apps, deploy and change settings.'}
        </Empty>
      ) : null}
      {shown.length ? (
        <>
          <p className="muted" role="status">
            {shown.length} of {all.length} events
          </p>
          <table className="events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Team</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">App</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id ?? `${e.at}-${e.action}`}>
                  <td title={e.at}>{ago(e.at)}</td>
                  <td>{teamLabel(e.team ?? '')}</td>
                  <td>{e.user}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.app ?? '—'}</td>
                  <td className="detail">
                    {detailLine(e.detail)}
                    {e.ip ? <span className="muted"> from {e.ip}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </main>
  );
}

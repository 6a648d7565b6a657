// The app's dependencies as a graph (apps depending on it → the app → the apps and services it depends on),
// drawn in SVG with every node a link, and the same as a list for screen readers and narrow screens.
import { type FormEvent, useState } from 'react';
import { call } from '../../api/client';
import { Empty, ErrorNote, Link, Progress } from '../../components/common';
import '../../components/console-app.css';
import { layoutDeps, NODE_H, NODE_W } from '../../lib/deps-graph';
import { appPath } from '../../lib/route';
import { useAction } from '../../lib/use-action';
import { useApi } from '../../lib/use-api';

type DepsView = { app: string; deps: Array<{ other: string; vars?: Record<string, string> }>; dependents: string[]; cycles: string[][] };
type ServiceRow = { name: string; kind: string | null; links: Array<{ app: string; alias: string }> };

export function DepsTab({ app, canChange }: { app: string; canChange: boolean }) {
  const deps = useApi(() => call<DepsView>('/apps/{app}/deps', { params: { app } }), [app]);
  const services = useApi(() => call<ServiceRow[]>('/services'), [app]);
  const { busy, error, act } = useAction(deps.reload);
  const [other, setOther] = useState('');

  const linked = (services.data ?? [])
    .filter((s) => s.links.some((l) => l.app === app))
    .map((s) => ({ name: s.name, kind: s.kind ?? 'external', alias: s.links.find((l) => l.app === app)!.alias }));
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (
      await act(`Making ${app} depend on ${other} and rolling out the new release…`, () =>
        call('/apps/{app}/deps', { method: 'POST', params: { app }, body: { app: other } }),
      )
    )
      setOther('');
  };

  const view = deps.data;
  const g = view
    ? layoutDeps(
        app,
        view.dependents,
        view.deps.map((d) => d.other),
        linked,
      )
    : null;
  const center = (id: string) => {
    const n = g!.nodes.find((x) => x.id === id)!;
    return { x: n.x, y: n.y + NODE_H / 2 };
  };
  const hrefOf = (id: string) => {
    const [kind, name] = id.split(':') as [string, string];
    return kind === 'service' ? '/console/services' : kind === 'self' ? null : appPath(name, 'deps');
  };
  return (
    <section aria-labelledby="deps-h">
      <h2 id="deps-h">Dependencies</h2>
      <ErrorNote error={deps.error ?? services.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {deps.loading && !view ? <Progress label="Loading dependencies…" /> : null}
      {view && g ? (
        <>
          {view.deps.length + view.dependents.length + linked.length === 0 ? (
            <Empty>
              {app} depends on nothing and nothing depends on it yet: {canChange ? 'add an app of its team below, or ' : ''}link a service on the{' '}
              <Link to="/console/services">Services</Link> page.
            </Empty>
          ) : (
            <div className="graph" aria-hidden="true">
              <svg viewBox={`-4 -4 ${g.width + 8} ${g.height + 8}`} data-testid="deps-graph">
                <title>Dependency graph of {app}</title>
                <defs>
                  <marker id="deps-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">
                    <path d="M0 0 L10 5 L0 10 z" className="arrow" />
                  </marker>
                </defs>
                {g.edges.map((e) => {
                  const a = center(e.from);
                  const b = center(e.to);
                  const x1 = a.x + NODE_W;
                  return (
                    <path
                      key={`${e.from}>${e.to}`}
                      className="edge"
                      markerEnd="url(#deps-arrow)"
                      d={`M${x1} ${a.y} C${(x1 + b.x) / 2} ${a.y} ${(x1 + b.x) / 2} ${b.y} ${b.x} ${b.y}`}
                    />
                  );
                })}
                {g.nodes.map((n) => {
                  const box = (
                    <g key={n.id} className={`node ${n.kind}`}>
                      <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx="6" />
                      <text x={n.x + 10} y={n.y + NODE_H / 2 + 4}>
                        {n.label.length > 20 ? `${n.label.slice(0, 19)}…` : n.label}
                      </text>
                    </g>
                  );
                  const href = hrefOf(n.id);
                  return href ? (
                    <a key={n.id} href={href} tabIndex={-1}>
                      {box}
                    </a>
                  ) : (
                    <g key={n.id}>{box}</g>
                  );
                })}
              </svg>
            </div>
          )}
          <h3>As a list</h3>
          <ul data-testid="deps-list">
            {view.dependents.map((d) => (
              <li key={`in-${d}`}>
                <Link to={appPath(d, 'deps')}>{d}</Link> depends on {app}
              </li>
            ))}
            {view.deps.map((d) => (
              <li key={`out-${d.other}`}>
                {app} depends on app <Link to={appPath(d.other, 'deps')}>{d.other}</Link>{' '}
                <span className="muted">({Object.keys(d.vars ?? {}).join(', ')})</span>
                {canChange ? (
                  <>
                    {' '}
                    <button
                      type="button"
                      className="danger"
                      disabled={Boolean(busy)}
                      onClick={() =>
                        act(`Removing the dependency on ${d.other}…`, () =>
                          call('/apps/{app}/deps/{other}', { method: 'DELETE', params: { app, other: d.other } }),
                        )
                      }
                    >
                      Remove dependency on {d.other}
                    </button>
                  </>
                ) : null}
              </li>
            ))}
            {linked.map((s) => (
              <li key={`svc-${s.name}`}>
                {app} uses service <Link to="/console/services">{s.name}</Link> ({s.kind}) as {s.alias}_URL
              </li>
            ))}
            {view.deps.length + view.dependents.length + linked.length === 0 ? <li>none</li> : null}
          </ul>
          {view.cycles.length ? (
            <p className="hint">
              Dependency cycles through {app}: {view.cycles.map((c) => c.join(' → ')).join('; ')}
            </p>
          ) : null}
        </>
      ) : null}
      {canChange ? (
        <form onSubmit={add} className="card inline">
          <label>
            Depends on app
            <input name="other" required pattern="[a-z][a-z0-9-]*" value={other} onChange={(e) => setOther(e.target.value.trim())} />
          </label>
          <button type="submit" className="primary" disabled={Boolean(busy)}>
            Add dependency
          </button>
        </form>
      ) : null}
    </section>
  );
}

// The app's builds: detected language and version, builder, status, duration, dependencies (BuildDetails) and the full
// output of each.
import { call, fill } from '../../api/client';
import { Empty, ErrorNote, StateBadge } from '../../components/common';
import { ago } from '../../lib/text';
import { useApi } from '../../lib/use-api';
import { BuildDetails } from './BuildDetails';

type Build = {
  id: string;
  status: string;
  builder?: string;
  language?: string;
  languageVersion?: string;
  dependencies?: Record<string, string>;
  buildpacks?: string[];
  processTypes?: Record<string, string>;
  sourceCommit?: string;
  error?: string;
  createdAt?: string;
  createdBy?: string;
  durations?: Record<string, number>;
  /** Milliseconds per phase of the push (src/shared/phases.ts), in the order they were spent. */
  phases?: Record<string, number>;
};

/** Where a build's push spent its time, for the Took cell's tooltip. */
const phaseList = (p?: Record<string, number>) =>
  p
    ? Object.entries(p)
        .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)} s`)
        .join(', ')
    : undefined;

export function BuildsList({ app }: { app: string }) {
  const builds = useApi(() => call<Build[]>('/apps/{app}/builds', { params: { app } }), [app]);
  const list = [...(builds.data ?? [])].reverse();
  return (
    <section aria-labelledby="builds-h">
      <h2 id="builds-h">Builds</h2>
      <ErrorNote error={builds.error} />
      {builds.data?.length === 0 ? <Empty>No builds yet: each git push or upload builds once.</Empty> : null}
      {list.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Build</th>
                <th scope="col">Detected</th>
                <th scope="col">Status</th>
                <th scope="col">Dependencies</th>
                <th scope="col">When</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => (
                <tr key={b.id}>
                  <td>
                    <a href={fill('/apps/{app}/builds/{id}/output', { app, id: b.id })} aria-label={`Output of build ${b.id}`}>
                      <code>{b.id}</code>
                    </a>
                  </td>
                  <td>
                    {b.language ? `${b.language} ${b.languageVersion ?? ''}`.trim() : '—'} <span className="muted">({b.builder})</span>
                  </td>
                  <td>
                    <StateBadge state={b.status} />
                  </td>
                  <td>
                    <BuildDetails b={b} />
                  </td>
                  <td title={b.createdAt}>
                    {ago(b.createdAt)} by {b.createdBy}
                  </td>
                  <td title={phaseList(b.phases)}>{b.durations?.total ? `${(b.durations.total / 1000).toFixed(1)} s` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

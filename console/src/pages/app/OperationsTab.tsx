// Maintenance mode (on after a confirmation, off), the app's cron jobs with their next and last runs (run one now),
// and the volumes it mounts. Controls only for roles that may change the app; everything through the public API.
import { useState } from 'react';
import { call } from '../../api/client';
import type { CronJob, Maintenance, Mount } from '../../api/types';
import { Empty, ErrorNote, Link, Progress } from '../../components/common';
import { useAction } from '../../lib/use-action';
import { useApi } from '../../lib/use-api';

const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');

function lastRun(j: CronJob): string {
  if (j.running) return 'running now';
  const r = j.state?.last;
  if (!r) return 'never ran';
  const outcome = r.exitCode === null || r.exitCode === undefined ? `failed: ${r.error ?? 'no exit code'}` : `exit code ${r.exitCode}`;
  return `${when(r.startedAt)} · ${outcome}${r.durationMs === undefined ? '' : ` · ${(r.durationMs / 1000).toFixed(1)} s`}`;
}

export function OperationsTab({ app, canChange }: { app: string; canChange: boolean }) {
  const params = { app };
  const maintenance = useApi(() => call<Maintenance>('/apps/{app}/maintenance', { params }), [app]);
  const jobs = useApi(() => call<CronJob[]>('/apps/{app}/cron', { params }), [app]);
  const mounts = useApi(() => call<Mount[]>('/apps/{app}/storage', { params }), [app]);
  const { busy, error, act } = useAction(() => {
    maintenance.reload();
    jobs.reload();
  });

  const [confirming, setConfirming] = useState(false);
  const setMaintenance = (enabled: boolean) => {
    setConfirming(false);
    void act(enabled ? 'Turning maintenance on…' : 'Turning maintenance off…', () =>
      call('/apps/{app}/maintenance', { method: 'PUT', params, body: { enabled } }),
    );
  };
  const runNow = (j: CronJob) =>
    void act(`Starting ${j.command}…`, () => call('/apps/{app}/cron/{id}/runs', { method: 'POST', params: { app, id: j.id ?? '' } }));

  const on = maintenance.data?.enabled === true;
  return (
    <>
      <section aria-labelledby="maint-h">
        <h2 id="maint-h">Maintenance mode</h2>
        <ErrorNote error={maintenance.error ?? error} />
        {busy ? <Progress label={busy} /> : null}
        {maintenance.data ? (
          <p>
            {on
              ? `${app} is down for maintenance: every request gets a 503 page${maintenance.data.customPage ? ' (its own)' : ''}. Its processes keep running.`
              : `${app} is serving requests.`}
          </p>
        ) : null}
        {canChange && maintenance.data && on ? (
          <button type="button" onClick={() => setMaintenance(false)} disabled={Boolean(busy)}>
            Turn maintenance off
          </button>
        ) : null}
        {canChange && maintenance.data && !on && !confirming ? (
          <button type="button" onClick={() => setConfirming(true)} disabled={Boolean(busy)}>
            Turn maintenance on
          </button>
        ) : null}
        {canChange && confirming && !on ? (
          <span>
            Every request to {app} will get a 503 page until you turn it off.{' '}
            <button type="button" className="danger" onClick={() => setMaintenance(true)} disabled={Boolean(busy)}>
              Yes, turn it on
            </button>{' '}
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : null}
      </section>

      <section aria-labelledby="cron-h">
        <h2 id="cron-h">Cron jobs</h2>
        <ErrorNote error={jobs.error} />
        {jobs.data && jobs.data.length === 0 ? <Empty>No cron jobs: list them in app.json under "cron" and deploy.</Empty> : null}
        {jobs.data?.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Command</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                {canChange ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => (
                <tr key={j.id}>
                  <td>
                    <code>{j.schedule}</code>
                  </td>
                  <td>
                    <code>{j.command}</code>
                  </td>
                  <td>{when(j.next)}</td>
                  <td>{lastRun(j)}</td>
                  {canChange ? (
                    <td>
                      <button type="button" onClick={() => runNow(j)} disabled={Boolean(busy) || j.running} aria-label={`Run ${j.command} now`}>
                        Run now
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <button type="button" onClick={() => jobs.reload()}>
          Refresh
        </button>
      </section>

      <section aria-labelledby="storage-h">
        <h2 id="storage-h">Storage</h2>
        <ErrorNote error={mounts.error} />
        {mounts.data && mounts.data.length === 0 ? (
          <Empty>
            No volume is mounted: create and mount one on the <Link to="/console/storage">Storage page</Link> (or yb storage:mount NAME /path -a {app}).
          </Empty>
        ) : null}
        {mounts.data?.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Volume</th>
                <th scope="col">Path</th>
                <th scope="col">Processes</th>
              </tr>
            </thead>
            <tbody>
              {mounts.data.map((m) => (
                <tr key={m.volume}>
                  <td>{m.volume}</td>
                  <td>
                    <code>{m.path}</code>
                  </td>
                  <td>{m.types?.join(', ') ?? 'all'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}

// Releases (who, what, when) with rollback to any earlier one after an explicit confirmation.
import { useState } from 'react';
import { call } from '../../api/client';
import type { Release } from '../../api/types';
import { Empty, ErrorNote, Progress, StateBadge } from '../../components/common';
import { ago } from '../../lib/text';
import { useApi } from '../../lib/use-api';
import { useAction } from '../../lib/use-action';
import { BuildsList } from './BuildsList';

export function ReleasesTab({ app, canChange, onRelease }: { app: string; canChange: boolean; onRelease: () => void }) {
  const releases = useApi(() => call<Release[]>('/apps/{app}/releases', { params: { app } }), [app]);
  const [confirm, setConfirm] = useState<number>();
  const { busy, error, act } = useAction(() => {
    releases.reload();
    onRelease();
  });

  const rollback = (version: number) => {
    setConfirm(undefined);
    return act(`Rolling back to v${version}: starting its processes and waiting for their health checks…`, () =>
      call('/apps/{app}/releases', { method: 'POST', params: { app }, body: { release: version } }),
    );
  };

  const list = [...(releases.data ?? [])].reverse();
  return (
    <>
      <section aria-labelledby="rel-h">
        <h2 id="rel-h">Releases</h2>
        <ErrorNote error={releases.error ?? error} />
        {busy ? <Progress label={busy} /> : null}
        {releases.loading && !releases.data ? <Progress label="Loading releases…" /> : null}
        {releases.data?.length === 0 ? <Empty>No releases yet: the first git push makes v1.</Empty> : null}
        {list.length ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">When</th>
                  <th scope="col">Status</th>
                  {canChange ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {list.map((r) => (
                  <tr key={r.version} className={r.current ? 'current' : ''}>
                    <td>
                      v{r.version}
                      {r.current ? ' (current)' : ''}
                    </td>
                    <td>{r.description}</td>
                    <td>{r.createdBy}</td>
                    <td title={r.createdAt}>{ago(r.createdAt)}</td>
                    <td>
                      <StateBadge state={r.status ?? '?'} />
                    </td>
                    {canChange ? (
                      <td>
                        {r.current || r.status === 'failed' || r.version === undefined ? null : confirm === r.version ? (
                          <span className="confirm">
                            Roll back to v{r.version}?{' '}
                            <button type="button" className="danger" onClick={() => rollback(r.version!)} disabled={Boolean(busy)}>
                              Yes, roll back
                            </button>{' '}
                            <button type="button" onClick={() => setConfirm(undefined)}>
                              Cancel
                            </button>
                          </span>
                        ) : (
                          <button type="button" onClick={() => setConfirm(r.version)} disabled={Boolean(busy)}>
                            Roll back to v{r.version}
                          </button>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <BuildsList app={app} />
    </>
  );
}

// Custom domains (add, remove) with each host's certificate (source, issuer, expiry, ACME renewal state), the
// https-only switch, ACME issuance, and the app's log drains (add, remove, delivery state). All through the API.
import { type FormEvent, useState } from 'react';
import { call } from '../../api/client';
import type { Certificate, Domain, HttpsOnly, LogDrain } from '../../api/types';
import { Empty, ErrorNote, Progress } from '../../components/common';
import { ago } from '../../lib/text';
import { useAction } from '../../lib/use-action';
import { useApi } from '../../lib/use-api';

function certState(c: Certificate | undefined): string {
  if (!c) return 'no certificate (served over HTTP; the router answers HTTPS with its default certificate)';
  const left = c.daysLeft === undefined ? '' : c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `expires in ${c.daysLeft} days`;
  const renewal = c.renewal?.lastError
    ? ` · last renewal failed: ${c.renewal.lastError}`
    : c.renewal?.auto
      ? ` · renewed automatically from ${c.renewal.dueFrom?.slice(0, 10)}`
      : '';
  return `${c.source === 'acme' ? 'ACME' : 'uploaded'} certificate from ${c.issuer ?? 'unknown issuer'}, ${left} (${c.notAfter?.slice(0, 10) ?? '?'})${renewal}`;
}

export function DomainsTab({ app, canChange }: { app: string; canChange: boolean }) {
  const params = { app };
  const domains = useApi(() => call<Domain[]>('/apps/{app}/domains', { params }), [app]);
  const certs = useApi(() => call<Certificate[]>('/apps/{app}/sni-endpoints', { params }), [app]);
  const https = useApi(() => call<HttpsOnly>('/apps/{app}/https-only', { params }), [app]);
  const drains = useApi(() => call<LogDrain[]>('/apps/{app}/log-drains', { params }), [app]);
  const { busy, error, act } = useAction(() => {
    domains.reload();
    certs.reload();
    https.reload();
  });
  const drainAction = useAction(drains.reload);
  const [hostname, setHostname] = useState('');
  const [drainUrl, setDrainUrl] = useState('');
  const [acme, setAcme] = useState<Array<{ hostname?: string; ok?: boolean; error?: string }>>();

  const addDomain = async (e: FormEvent) => {
    e.preventDefault();
    if (await act(`Routing ${hostname} to ${app}…`, () => call('/apps/{app}/domains', { method: 'POST', params, body: { hostname } }))) setHostname('');
  };
  const addDrain = async (e: FormEvent) => {
    e.preventDefault();
    if (await drainAction.act('Adding the log drain…', () => call('/apps/{app}/log-drains', { method: 'POST', params, body: { url: drainUrl } })))
      setDrainUrl('');
  };
  const obtain = () =>
    act("Asking the ACME CA for certificates of the app's hosts (HTTP-01 through the router)…", async () =>
      setAcme(await call<Array<{ hostname?: string; ok?: boolean; error?: string }>>('/apps/{app}/acm', { method: 'POST', params })),
    );
  const certOf = (h: string) => certs.data?.find((c) => c.hostname === h);

  return (
    <>
      <section aria-labelledby="dom-h">
        <h2 id="dom-h">Domains and certificates</h2>
        <ErrorNote error={domains.error ?? certs.error ?? https.error ?? error} />
        {busy ? <Progress label={busy} /> : null}
        {domains.loading && !domains.data ? <Progress label="Loading domains…" /> : null}
        {domains.data?.length ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Host name</th>
                  <th scope="col">Certificate</th>
                  {canChange ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {domains.data.map((d) => (
                  <tr key={d.hostname}>
                    <td>
                      <code>{d.hostname}</code> {d.kind === 'default' ? <span className="muted">(default)</span> : null}
                    </td>
                    <td>{certState(certOf(d.hostname ?? ''))}</td>
                    {canChange ? (
                      <td>
                        {d.kind === 'custom' ? (
                          <button
                            type="button"
                            className="danger"
                            disabled={Boolean(busy)}
                            onClick={() =>
                              act(`Removing ${d.hostname}…`, () =>
                                call('/apps/{app}/domains/{hostname}', { method: 'DELETE', params: { app, hostname: d.hostname ?? '' } }),
                              )
                            }
                          >
                            Remove<span className="visually-hidden"> {d.hostname}</span>
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {domains.data?.length === 1 ? (
          <Empty>Only the default host so far{canChange ? ': add your own domain below, then point its DNS at the platform.' : '.'}</Empty>
        ) : null}
        {canChange ? (
          <>
            <form onSubmit={addDomain} className="card inline">
              <label>
                Custom domain
                <input
                  name="hostname"
                  required
                  maxLength={253}
                  placeholder="www.example.com"
                  value={hostname}
                  onChange={(e) => setHostname(e.target.value.trim())}
                />
              </label>
              <button type="submit" className="primary" disabled={Boolean(busy)}>
                Add domain
              </button>
            </form>
            <div className="row">
              <label className="check">
                <input
                  type="checkbox"
                  checked={https.data?.enabled === true}
                  disabled={Boolean(busy) || !https.data}
                  onChange={(e) => {
                    const enabled = e.target.checked;
                    void act(enabled ? 'Redirecting HTTP to HTTPS…' : 'Serving plain HTTP again…', () =>
                      call('/apps/{app}/https-only', { method: 'PUT', params, body: { enabled } }),
                    );
                  }}
                />{' '}
                HTTPS only (redirect plain HTTP requests)
              </label>
              <button type="button" disabled={Boolean(busy)} onClick={obtain}>
                Obtain certificates (ACME)
              </button>
            </div>
          </>
        ) : (
          <p className="muted">HTTPS only: {https.data?.enabled ? 'on' : 'off'}</p>
        )}
        {acme ? (
          <ul aria-label="ACME results">
            {acme.map((r) => (
              <li key={r.hostname}>
                <code>{r.hostname}</code>: {r.ok ? 'certificate issued' : `failed: ${r.error}`}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section aria-labelledby="drains-h">
        <h2 id="drains-h">Log drains</h2>
        <ErrorNote error={drains.error ?? drainAction.error} />
        {drainAction.busy ? <Progress label={drainAction.busy} /> : null}
        {drains.data?.length === 0 ? (
          <Empty>
            No log drains: {canChange ? 'add a syslog+tls://, syslog+tcp:// or https:// URL below to ship every log line there.' : 'an app member can add one.'}
          </Empty>
        ) : null}
        {drains.data?.length ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Delivery</th>
                  <th scope="col">Added</th>
                  {canChange ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {drains.data.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <code>{d.url}</code>
                    </td>
                    <td>
                      {d.connected ? 'connected' : 'not connected'} · {d.delivered ?? 0} delivered, {d.queued ?? 0} queued, {d.dropped ?? 0} dropped
                      {d.lastError ? <div className="hint">last error: {d.lastError}</div> : null}
                    </td>
                    <td>{ago(d.createdAt)}</td>
                    {canChange ? (
                      <td>
                        <button
                          type="button"
                          className="danger"
                          disabled={Boolean(busy)}
                          onClick={() =>
                            drainAction.act('Removing the log drain…', () =>
                              call('/apps/{app}/log-drains/{drain}', { method: 'DELETE', params: { app, drain: d.id ?? '' } }),
                            )
                          }
                        >
                          Remove<span className="visually-hidden"> drain {d.id}</span>
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {canChange ? (
          <form onSubmit={addDrain} className="card inline">
            <label>
              Drain URL
              <input
                name="url"
                required
                maxLength={2000}
                placeholder="syslog+tls://logs.example.com:6514"
                value={drainUrl}
                onChange={(e) => setDrainUrl(e.target.value.trim())}
              />
            </label>
            <button type="submit" className="primary" disabled={Boolean(busy)}>
              Add drain
            </button>
          </form>
        ) : null}
      </section>
    </>
  );
}

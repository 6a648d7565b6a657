// Processes (state, restarts; scale per type; restart) and the deploy output, live from any push.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { call, stream } from '../../api/client';
import type { DeployEvent, Dyno, Formation } from '../../api/types';
import { Empty, ErrorNote, Progress, StateBadge } from '../../components/common';
import { SizeField } from '../../components/SizeField';
import { ago, sseParser } from '../../lib/text';
import { useApi } from '../../lib/use-api';
import { useAction } from '../../lib/use-action';

type Props = { app: string; canChange: boolean; onRelease: () => void };

export function OverviewTab({ app, canChange, onRelease }: Props) {
  const params = { app };
  const dynos = useApi(() => call<Dyno[]>('/apps/{app}/dynos', { params }), [app]);
  const formation = useApi(() => call<Formation[]>('/apps/{app}/formation', { params }), [app]);
  const [confirmStop, setConfirmStop] = useState(false);
  const reloadAll = () => {
    dynos.reload();
    formation.reload();
    onRelease();
  };
  const { busy, error, act } = useAction(reloadAll);

  // Process states change on their own (crashes, restarts): refresh them every few seconds while the page is open.
  useEffect(() => {
    const t = setInterval(dynos.reload, 5000);
    return () => clearInterval(t);
  }, [dynos.reload]);

  const scale = (e: FormEvent<HTMLFormElement>, type: string) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const quantity = Number(form.get('quantity'));
    const size = String(form.get('size') ?? '').trim();
    void act(`Scaling ${type} to ${quantity}${size ? ` of size ${size}` : ''}…`, () =>
      call('/apps/{app}/formation', { method: 'PATCH', params, body: { updates: [{ type, quantity, ...(size ? { size } : {}) }] } }),
    );
  };

  return (
    <>
      <section aria-labelledby="ps-h">
        <h2 id="ps-h">Processes</h2>
        {canChange && formation.data?.length ? (
          <div className="row">
            {confirmStop ? (
              <>
                <span>Stop every process of {app}? It stays stopped until started or deployed.</span>
                <button
                  type="button"
                  className="danger"
                  disabled={Boolean(busy)}
                  onClick={() => {
                    setConfirmStop(false);
                    void act(`Stopping every process of ${app}…`, () => call('/apps/{app}/dynos/actions/stop', { method: 'POST', params }));
                  }}
                >
                  Yes, stop {app}
                </button>
                <button type="button" onClick={() => setConfirmStop(false)}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="button" disabled={Boolean(busy)} onClick={() => setConfirmStop(true)}>
                Stop all
              </button>
            )}
            <button
              type="button"
              disabled={Boolean(busy)}
              onClick={() => act(`Starting the processes of ${app}…`, () => call('/apps/{app}/dynos/actions/start', { method: 'POST', params }))}
            >
              Start all
            </button>
          </div>
        ) : null}
        <ErrorNote error={dynos.error ?? formation.error ?? error} />
        {busy ? <Progress label={busy} /> : null}
        {formation.data && formation.data.length === 0 ? (
          <Empty>No process types yet: push code with a Procfile or a web server to get a web process.</Empty>
        ) : null}
        {formation.data?.map((f) => (
          <div key={f.type} className="card process-type">
            <h3>
              {f.type} <span className="muted">× {f.quantity}</span> {f.size ? <span className="muted">{f.size}</span> : null}
            </h3>
            {canChange ? (
              <div className="row">
                <form onSubmit={(e) => scale(e, f.type ?? 'web')} className="inline">
                  <label>
                    Quantity of {f.type}
                    <input name="quantity" type="number" min={0} max={100} defaultValue={f.quantity} key={f.quantity} />
                  </label>
                  <SizeField type={f.type ?? 'web'} current={f.size} />
                  <button type="submit" disabled={Boolean(busy)}>
                    Scale
                  </button>
                </form>
                <button
                  type="button"
                  disabled={Boolean(busy)}
                  onClick={() => act(`Restarting ${f.type}…`, () => call('/apps/{app}/dynos', { method: 'DELETE', params, query: { type: f.type } }))}
                >
                  Restart {f.type}
                </button>
              </div>
            ) : null}
            <ul className="dynos">
              {dynos.data
                ?.filter((d) => d.type === f.type)
                .map((d) => (
                  <li key={d.name}>
                    <code>{d.name}</code> <StateBadge state={d.state ?? '?'} /> v{d.release} · up since {ago(d.startedAt)} · {d.restarts ?? 0} restarts
                  </li>
                ))}
            </ul>
          </div>
        ))}
        {dynos.loading && !dynos.data ? <Progress label="Loading processes…" /> : null}
      </section>
      <DeployOutput app={app} onEnd={reloadAll} />
    </>
  );
}

/** The output of the deploy in progress (any push, also from a terminal) and of each later one, live. */
function DeployOutput({ app, onEnd }: { app: string; onEnd: () => void }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<'waiting' | 'building' | 'succeeded' | 'failed'>('waiting');
  const [error, setError] = useState<unknown>();
  const end = useRef(onEnd);
  end.current = onEnd;
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    const sse = sseParser();
    stream('/apps/{app}/deploys/live', { params: { app }, query: { wait: 'true' }, signal: abort.signal }, (chunk) => {
      for (const ev of sse.push(chunk)) {
        const e = JSON.parse(ev.data) as DeployEvent;
        if (e.type === 'start') {
          setLines([]);
          setState('building');
        } else if (e.type === 'line') setLines((l) => [...l.slice(-1999), e.text]);
        else {
          setState(e.ok ? 'succeeded' : 'failed');
          end.current();
        }
      }
    }).catch((err: unknown) => {
      if (!abort.signal.aborted) setError(err);
    });
    return () => abort.abort();
  }, [app]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever lines arrive
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <section aria-labelledby="deploy-h">
      <h2 id="deploy-h">
        Deploy output <StateBadge state={state} />
      </h2>
      <ErrorNote error={error} />
      {state === 'waiting' ? <p className="muted">Waiting for a push: git push yb main, and its build shows here as it happens.</p> : null}
      {lines.length ? (
        <>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling output box must be reachable by keyboard to scroll it (WCAG 2.1.1, axe scrollable-region-focusable) */}
          <pre className="terminal" ref={box} role="log" aria-label="deploy output" tabIndex={0} data-testid="deploy-output">
            {lines.join('\n')}
          </pre>
        </>
      ) : null}
    </section>
  );
}

// Config vars: values masked until revealed (viewers only ever get "<hidden>" from the API), set and unset.
// Each change makes a release when the app runs; the answer comes once it is rolled out.
import { type FormEvent, useState } from 'react';
import { call } from '../../api/client';
import type { ConfigVars } from '../../api/types';
import { Empty, ErrorNote, Progress } from '../../components/common';
import { useApi } from '../../lib/use-api';
import { useAction } from '../../lib/use-action';

export function ConfigTab({ app, canChange, onRelease }: { app: string; canChange: boolean; onRelease: () => void }) {
  const vars = useApi(() => call<ConfigVars>('/apps/{app}/config-vars', { params: { app } }), [app]);
  const [shown, setShown] = useState<Set<string>>(new Set());
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');

  const { busy, error, act } = useAction(() => {
    vars.reload();
    onRelease();
  });
  const change = (label: string, body: Record<string, string | null>) =>
    act(label, () => call('/apps/{app}/config-vars', { method: 'PATCH', params: { app }, body }));

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await change(`Setting ${key} and rolling out the new release…`, { [key]: value })) {
      setKey('');
      setValue('');
    }
  };

  const toggle = (k: string) =>
    setShown((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });

  const entries = Object.entries(vars.data ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section aria-labelledby="cfg-h">
      <h2 id="cfg-h">Config vars</h2>
      <ErrorNote error={vars.error ?? error} />
      {busy ? <Progress label={busy} /> : null}
      {vars.loading && !vars.data ? <Progress label="Loading config vars…" /> : null}
      {vars.data && entries.length === 0 ? (
        <Empty>No config vars yet{canChange ? ': add one below; it reaches the app as an environment variable.' : '.'}</Empty>
      ) : null}
      {entries.length ? (
        <table className="config">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k}>
                <td>
                  <code>{k}</code>
                </td>
                <td>
                  <code data-testid={`value-${k}`}>{canChange && shown.has(k) ? v : '••••••••'}</code>
                </td>
                <td>
                  {canChange ? (
                    <>
                      <button type="button" onClick={() => toggle(k)} aria-pressed={shown.has(k)}>
                        {shown.has(k) ? `Hide ${k}` : `Reveal ${k}`}
                      </button>{' '}
                      <button type="button" className="danger" disabled={Boolean(busy)} onClick={() => change(`Unsetting ${k}…`, { [k]: null })}>
                        Unset {k}
                      </button>
                    </>
                  ) : (
                    <span className="muted">hidden from viewers</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {canChange ? (
        <form onSubmit={add} className="card inline">
          <label>
            Name
            <input name="key" required pattern="[A-Za-z_][A-Za-z0-9_]*" value={key} onChange={(e) => setKey(e.target.value)} />
          </label>
          <label>
            Value
            <input name="value" value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={Boolean(busy)}>
            Set
          </button>
        </form>
      ) : null}
    </section>
  );
}

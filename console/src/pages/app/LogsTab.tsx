// Live logs: the app's stream (processes, router, platform) followed as it is written; pause keeps the stream but
// stops the view from moving; filters by process and source reopen the stream with the API's own filters.
import { useEffect, useRef, useState } from 'react';
import { stream } from '../../api/client';
import { ErrorNote } from '../../components/common';
import { lineSplitter } from '../../lib/text';

const KEEP = 2000;

export function LogsTab({ app }: { app: string }) {
  const [ps, setPs] = useState('');
  const [source, setSource] = useState('');
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<unknown>();
  const held = useRef<string[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    const split = lineSplitter();
    setLines([]);
    setError(undefined);
    setLive(true);
    const validPs = /^[a-z][a-z0-9_-]*(\.[0-9]+)?$/.test(ps) ? ps : undefined;
    stream(
      '/apps/{app}/logs',
      { params: { app }, query: { tail: 'true', lines: '200', ps: validPs, source: source || undefined }, signal: abort.signal },
      (chunk) => {
        const got = split.push(chunk);
        if (!got.length) return;
        if (pausedRef.current) held.current.push(...got);
        else setLines((l) => [...l, ...got].slice(-KEEP));
      },
    )
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      })
      .finally(() => !abort.signal.aborted && setLive(false)); // a stream replaced by a new filter is not "stopped"
    return () => abort.abort();
  }, [app, ps, source]);

  useEffect(() => {
    if (!paused && held.current.length) {
      const more = held.current;
      held.current = [];
      setLines((l) => [...l, ...more].slice(-KEEP));
    }
  }, [paused]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the end whenever lines arrive
  useEffect(() => {
    if (box.current && !paused) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, paused]);

  return (
    <section aria-labelledby="logs-h">
      <h2 id="logs-h">
        Logs <span className="muted">{live ? (paused ? 'paused (still receiving)' : 'following') : 'stopped'}</span>
      </h2>
      <div className="filters">
        <label>
          Process
          <input placeholder="web or web.1" value={ps} onChange={(e) => setPs(e.target.value.trim())} />
        </label>
        <label>
          Source
          <select value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">all</option>
            <option value="app">app</option>
            <option value="router">router</option>
            <option value="yb">yb (platform)</option>
          </select>
        </label>
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Follow' : 'Pause'}
        </button>
      </div>
      <ErrorNote error={error} />
      {lines.length === 0 ? <p className="muted">No log lines yet: they appear here as the app, the router and the platform write them.</p> : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling output box must be reachable by keyboard to scroll it (WCAG 2.1.1, axe scrollable-region-focusable) */}
      <pre className="terminal logs" ref={box} role="log" tabIndex={0} aria-label="log lines" data-testid="log-lines">
        {lines.join('\n')}
      </pre>
    </section>
  );
}

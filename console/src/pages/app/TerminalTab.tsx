// `yb run` in the browser: a command in a one-off process of the app's current release, on a terminal (xterm.js,
// loaded only when this tab runs something). The exit code is shown; ending the run or leaving removes the process.
import { type FormEvent, lazy, Suspense, useState } from 'react';
import { ApiError, call } from '../../api/client';
import type { Session } from '../../api/types';
import { Empty, ErrorNote, Progress } from '../../components/common';
import { closedSentence, type RunEvent } from '../../lib/run-protocol';

const Terminal = lazy(() => import('../../components/Terminal'));

type Run = { n: number; command: string; csrf: string };
type Status = 'connecting' | 'running' | RunEvent;

export function TerminalTab({ app, canRun }: { app: string; canRun: boolean }) {
  const [command, setCommand] = useState('sh');
  // The terminal stays after the command ended, with its output, until the next run or "Close".
  const [run, setRun] = useState<Run | null>(null);
  const [status, setStatus] = useState<Status>('connecting');
  const [error, setError] = useState<unknown>();

  if (!canRun) return <Empty>Your role in this app's team is read-only: running commands needs owner, admin or member. Ask an owner of the team.</Empty>;

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      // The CSRF token of this browser's session goes in the socket's first message (docs/architecture.md §8).
      const s = await call<Session>('/session');
      setStatus('connecting');
      setRun((r) => ({ n: (r?.n ?? 0) + 1, command, csrf: s.csrfToken }));
    } catch (err) {
      setError(err);
    }
  };
  const onEvent = (ev: RunEvent) => setStatus(ev.kind === 'started' ? 'running' : ev);
  const live = run !== null && (status === 'connecting' || status === 'running');
  const ended = typeof status === 'object' && run ? status : null;
  return (
    <section aria-labelledby="run-h">
      <h2 id="run-h">Run a command</h2>
      <p className="muted">
        In a new one-off process of the current release, with the app's config and mounts (like <code>yb run -a {app} -- COMMAND</code>). Leaving this tab ends
        it.
      </p>
      <form className="inline" onSubmit={start}>
        <label>
          Command
          <input name="command" required maxLength={8192} value={command} onChange={(e) => setCommand(e.target.value)} disabled={live} />
        </label>
        <button type="submit" className="primary" disabled={live || !command.trim()}>
          Run
        </button>
        {live ? (
          <button type="button" className="danger" onClick={() => setRun(null)}>
            End
          </button>
        ) : null}
        {run && !live ? (
          <button type="button" onClick={() => setRun(null)}>
            Close the terminal
          </button>
        ) : null}
      </form>
      <ErrorNote error={error} />
      {run && status === 'connecting' ? <Progress label={`Starting a one-off process for ${run.command}…`} /> : null}
      {run && status === 'running' ? (
        <p className="progress" role="status">
          Running <code>{run.command}</code>: type in the terminal below (Esc then Tab leaves it).
        </p>
      ) : null}
      {run && ended?.kind === 'exit' ? (
        <p role="status" data-testid="run-exit">
          <code>{run.command}</code> exited with code <strong>{ended.code}</strong>; its process was removed.
        </p>
      ) : null}
      {ended?.kind === 'error' ? <ErrorNote error={new ApiError(400, ended.id, ended.message, ended.hint)} /> : null}
      {ended?.kind === 'closed' ? (
        <p role="status" data-testid="run-exit">
          {closedSentence(ended.code, ended.opened)}
        </p>
      ) : null}
      {run ? (
        <Suspense fallback={<Progress label="Loading the terminal…" />}>
          <Terminal key={run.n} app={app} command={run.command} csrf={run.csrf} onEvent={onEvent} />
        </Suspense>
      ) : null}
    </section>
  );
}

// The console's side of the run WebSocket (src/api/run-websocket.ts): its URL, the server's control messages and
// what to tell the user when a run ends. Pure: no React, no DOM (unit-tested from the root).

export type RunEvent =
  | { kind: 'started' }
  | { kind: 'exit'; code: number }
  | { kind: 'error'; id: string; message: string; hint?: string }
  | { kind: 'closed'; code: number; opened: boolean };

/** The socket's URL on the page's own origin (ws: or wss: as the page's scheme). Pure. */
export function runSocketUrl(loc: { protocol: string; host: string }, app: string): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/apps/${encodeURIComponent(app)}/dynos/attach`;
}

/** A text message of the server as an event, or null for one the console does not know. Pure. */
export function serverMessage(text: string): RunEvent | null {
  let m: { type?: unknown; code?: unknown; id?: unknown; message?: unknown; hint?: unknown };
  try {
    m = JSON.parse(text) as typeof m;
  } catch {
    return null;
  }
  if (m?.type === 'started') return { kind: 'started' };
  if (m?.type === 'exit' && typeof m.code === 'number') return { kind: 'exit', code: m.code };
  if (m?.type === 'error' && typeof m.message === 'string')
    return { kind: 'error', id: String(m.id ?? 'error'), message: m.message, ...(typeof m.hint === 'string' ? { hint: m.hint } : {}) };
  return null;
}

/** The sentence shown when a run ended without an exit code or an error of the API's. Pure. */
export function closedSentence(code: number, opened: boolean): string {
  if (code === 1009) return 'the connection was closed because a message was larger than 64 KiB (paste less at once)';
  if (!opened) return 'the terminal could not connect: your session may have ended (reload the page to sign in again)';
  return `the connection closed (code ${code}) before the command ended; its process was removed`;
}

// Pure helpers of the console (unit-tested in test/unit/console/): splitting streamed text into lines and
// server-sent events, filtering the apps list, relative times.

/** Accumulates streamed text; `push` returns the complete lines so far and keeps the unfinished rest. */
export function lineSplitter(): { push: (chunk: string) => string[] } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      return parts;
    },
  };
}

export interface SseEvent {
  event: string;
  data: string;
}

/** Accumulates a text/event-stream; `push` returns the events completed by this chunk (comments dropped). */
export function sseParser(): { push: (chunk: string) => SseEvent[] } {
  let rest = '';
  return {
    push(chunk) {
      const blocks = (rest + chunk).split('\n\n');
      rest = blocks.pop() ?? '';
      const out: SseEvent[] = [];
      for (const b of blocks) {
        let event = 'message';
        const data: string[] = [];
        for (const line of b.split('\n')) {
          if (line.startsWith(':')) continue;
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) out.push({ event, data: data.join('\n') });
      }
      return out;
    },
  };
}

export interface AppRow {
  name: string;
  team: string;
}

/** The apps of `team` (all when empty) whose name contains `query` (case-insensitive), by name. */
export function filterApps<T extends AppRow>(apps: T[], team: string, query: string): T[] {
  const q = query.trim().toLowerCase();
  return apps.filter((a) => (!team || a.team === team) && (!q || a.name.toLowerCase().includes(q))).sort((a, b) => a.name.localeCompare(b.name));
}

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago" from an ISO time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '—';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Process counts by type from a dyno list: `web 2 up · worker 1 crashed`. */
export function processSummary(dynos: Array<{ type?: string; state?: string }>): string {
  const by = new Map<string, Map<string, number>>();
  for (const d of dynos) {
    const t = d.type ?? '?';
    const m = by.get(t) ?? new Map<string, number>();
    m.set(d.state ?? '?', (m.get(d.state ?? '?') ?? 0) + 1);
    by.set(t, m);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, m]) => `${t} ${[...m.entries()].map(([s, n]) => `${n} ${s}`).join(', ')}`)
    .join(' · ');
}

/** The app's overall state from its processes: crashed beats deploying beats running. */
export function appState(dynos: Array<{ state?: string }>, deploying: boolean): 'deploying' | 'crashed' | 'running' | 'idle' {
  if (dynos.some((d) => d.state === 'crashed')) return 'crashed';
  if (deploying) return 'deploying';
  if (dynos.some((d) => d.state === 'up')) return 'running';
  return 'idle';
}

/** Whether a role may change an app (the API decides; this only hides controls a viewer cannot use). */
export function mayChange(role: string | undefined): boolean {
  return role === 'owner' || role === 'admin' || role === 'member';
}

/** "512 B", "1.5 KiB", "20.0 MiB", "3.2 GiB"; "—" when unknown. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

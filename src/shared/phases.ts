// The phases a push or release goes through and the clock that times them (docs/architecture.md §4.2): shared by the
// build, the scheduler, the deploy spine and the CLI, which shows them in that order. Knows nothing of what runs them.

/**
 * Where a push's time goes, in the order it is spent (docs/architecture.md §4.2): waiting for the app's queue and a
 * build slot, receiving and unpacking the source, the buildpack's detect and compile, the run image, the registry
 * push, the release records, then the rollout: process start, health check, traffic switch (endpoints published and
 * every live router confirmed) and stopping the old processes. Each is a disjoint slice of wall time, so they add
 * up to at most the push's own. A config change or rollback records the rollout ones on its release.
 */
export const PHASES = ['queue', 'receive', 'unpack', 'detect', 'install', 'image', 'push', 'release', 'start', 'health', 'switch', 'stop'] as const;
export type Phase = (typeof PHASES)[number];
/** Milliseconds per phase; a phase a build did not go through is absent. */
export type Phases = Partial<Record<Phase, number>>;

/**
 * A clock for consecutive phases: each `mark(phase, at)` charges the time since the previous mark to `phase` (added
 * to what it already has). Marks never go back, so every phase is non-negative and they add up to the elapsed time.
 */
export function phaseClock(phases: Phases, start = Date.now()): (phase: Phase, at?: number) => void {
  let last = start;
  return (phase, at = Date.now()) => {
    const end = Math.max(last, at);
    phases[phase] = (phases[phase] ?? 0) + (end - last);
    last = end;
  };
}

/** One line for people: each recorded phase in PHASES order in seconds, then their sum ("-" when none was recorded). */
export function formatPhases(phases: Phases | undefined): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const known = PHASES.filter((p) => typeof phases?.[p] === 'number');
  if (known.length === 0) return '-';
  const sum = known.reduce((a, p) => a + (phases![p] ?? 0), 0);
  return `${known.map((p) => `${p} ${s(phases![p]!)}`).join(', ')} (sum ${s(sum)})`;
}

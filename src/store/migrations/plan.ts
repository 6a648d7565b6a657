// What a starting ybd must do with the stored state layout (docs/architecture.md §9): nothing, stamp a fresh
// platform, migrate an older layout forward step by step, or refuse a newer one. Pure: no I/O.

/** A layout step: turns layout `to - 1` into layout `to`. */
export interface StepInfo {
  to: number;
  name: string;
}

export type LayoutPlan<S extends StepInfo = StepInfo> =
  | { kind: 'current'; version: number }
  | { kind: 'fresh'; version: number }
  | { kind: 'migrate'; from: number; steps: S[] }
  | { kind: 'too-new'; stored: number; known: number };

/**
 * `stored` is the recorded layout version (null when there is none), `empty` whether the prefix holds no key at
 * all, `steps` every step this ybd knows, in order from layout 1. No version on a non-empty prefix is layout 0:
 * the state of a platform from before layouts were versioned.
 */
export function planLayout<S extends StepInfo>(stored: number | null, empty: boolean, steps: readonly S[]): LayoutPlan<S> {
  steps.forEach((s, i) => {
    if (s.to !== i + 1) throw new Error(`layout step ${s.name} migrates to ${s.to}, expected ${i + 1}`);
  });
  const known = steps.length;
  if (stored === null && empty) return { kind: 'fresh', version: known };
  const from = stored ?? 0;
  if (from > known) return { kind: 'too-new', stored: from, known };
  if (from === known) return { kind: 'current', version: known };
  return { kind: 'migrate', from, steps: steps.slice(from) };
}

/** The refusal, in one sentence. */
export function tooNewMessage(prefix: string, stored: number, known: number, by: string): string {
  return (
    `the platform state under ${prefix} has layout version ${stored}, but this ybd (${by}) knows layouts up to ${known}; ` +
    'run the newer ybd that wrote it (layouts are never migrated back)'
  );
}

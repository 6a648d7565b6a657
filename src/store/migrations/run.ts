// Brings the stored state layout to this ybd's (docs/architecture.md §9) before anything else reads or writes it:
// stamps a fresh platform, runs the missing steps of an older one, refuses a newer one without writing anything.
// Each step is idempotent and `schema/version` moves only after a step finished, so a start that is killed
// half-way is completed by the next one; `schema/migrating` says which step was running, and since when.
import type { Store } from '../store.js';
import { planLayout, tooNewMessage } from './plan.js';
import { LAYOUT_STEPS, type LayoutStep } from './steps.js';

/** ybd will not run against this state: a newer layout, or a version record it cannot read. Nothing was written. */
export class LayoutRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutRefusedError';
  }
}

export interface LayoutVersionRecord {
  version: number;
  /** The ybd that wrote it (`ybd <version>`). */
  by: string;
  at: string;
}

export interface MigrationRecord {
  from: number;
  to: number;
  step: string;
  by: string;
  startedAt: string;
}

export interface LayoutLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LayoutOptions {
  /** Who migrates, for the records and the refusal (`ybd 0.1.0`). */
  by: string;
  log: LayoutLog;
  steps?: readonly LayoutStep[];
  /** Told of every record a step writes (tests cut a migration short with it). */
  onWrite?: () => void;
}

/** Returns the layout version the state now has; throws LayoutRefusedError (having written nothing) for a newer or unreadable one. */
export async function ensureLayout(store: Store, opts: LayoutOptions): Promise<{ version: number; migrated: string[] }> {
  const steps = opts.steps ?? LAYOUT_STEPS;
  const k = store.keys;
  const stored = await store.get<LayoutVersionRecord>(k.layoutVersion());
  if (stored !== null && !(Number.isInteger(stored?.version) && stored.version >= 0)) {
    throw new LayoutRefusedError(
      `${k.layoutVersion()} holds no layout version (${JSON.stringify(stored).slice(0, 80)}); restore it from a backup or set it to the layout the state has`,
    );
  }
  const empty = stored === null && (await store.keysInRange(k.prefix, prefixEnd(k.prefix), 1)).length === 0;
  const plan = planLayout(stored?.version ?? null, empty, steps);
  const stamp = (version: number): LayoutVersionRecord => ({ version, by: opts.by, at: new Date().toISOString() });
  switch (plan.kind) {
    case 'too-new':
      throw new LayoutRefusedError(tooNewMessage(k.prefix, plan.stored, plan.known, opts.by));
    case 'current':
      return { version: plan.version, migrated: [] };
    case 'fresh':
      // A second ybd stamping the same empty prefix at once writes the same thing: create-if-absent either way.
      await store.create(k.layoutVersion(), stamp(plan.version));
      return { version: plan.version, migrated: [] };
  }
  const interrupted = await store.get<MigrationRecord>(k.layoutMigration());
  if (interrupted) opts.log.warn({ ...interrupted }, `resuming the layout migration cut short at step ${interrupted.step}`);
  const migrated: string[] = [];
  let from = plan.from;
  for (const step of plan.steps) {
    const started = Date.now();
    opts.log.info({ from, to: step.to, step: step.name }, 'migrating the state layout');
    await store.put(k.layoutMigration(), { from, to: step.to, step: step.name, by: opts.by, startedAt: new Date().toISOString() } satisfies MigrationRecord);
    const result = await step.run(store, opts.onWrite);
    await store.commit([{ key: k.layoutVersion(), value: stamp(step.to) }], [k.layoutMigration()]);
    opts.log.info({ to: step.to, step: step.name, result, ms: Date.now() - started }, 'state layout migrated');
    migrated.push(step.name);
    from = step.to;
  }
  return { version: from, migrated };
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

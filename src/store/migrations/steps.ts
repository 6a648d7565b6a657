// Every layout step this ybd knows, in order (docs/architecture.md §9). A new layout appends a step here; a step
// once released never changes, since platforms at every earlier layout still run it.
import type { Store } from '../store.js';
import type { StepInfo } from './plan.js';
import { recordTeamImages } from './team-images.js';

export interface LayoutStep extends StepInfo {
  /** Idempotent: a step cut short is run again from its start. `onWrite` is told of each record it writes. */
  run(store: Store, onWrite?: () => void): Promise<unknown>;
}

export const LAYOUT_STEPS: readonly LayoutStep[] = [{ to: 1, name: 'team-images', run: (store, onWrite) => recordTeamImages(store, onWrite) }];

/** The newest layout this ybd reads and writes. */
export const LAYOUT_VERSION = LAYOUT_STEPS.length;

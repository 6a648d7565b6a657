// The record of one build (builds/<app>/<id> in etcd): what was built, how, from what, and how long it took.
import type { DeployManifest } from '../release/app-json.js';
import type { Phases } from '../shared/phases.js';

/** PORT of web processes when neither the image (EXPOSE) nor the app says otherwise. */
export const DEFAULT_PORT = 5000;

/** queued: waiting for a build slot (slots.ts); its live place is in `queue`. */
export type BuildStatus = 'pending' | 'queued' | 'building' | 'succeeded' | 'failed';

export interface BuildRecord {
  id: string;
  app: string;
  status: BuildStatus;
  sourceCommit?: string;
  builder: 'buildpacks' | 'dockerfile';
  buildpacks: string[];
  language?: string;
  languageVersion?: string;
  dependencies?: Record<string, string>;
  processTypes: Record<string, string>;
  port: number;
  manifest: DeployManifest;
  imageHealthcheck?: boolean;
  image?: string;
  imageId?: string;
  /** The pushed image in the platform's registry, `<host>/<instance>/<app>@sha256:…` (YB_REGISTRY_PUSH). */
  registryImage?: string;
  durations: Record<string, number>;
  /** Milliseconds per phase of the push (shared/phases.ts), the rollout's included once it has run. */
  phases?: Phases;
  createdBy: string;
  createdAt: string;
  finishedAt?: string;
  error?: string;
  /** While queued: 1-based place in the queue, builds served before it (running ones included), slot count. Live, never stored. */
  queue?: { position: number; ahead: number; slots: number };
}

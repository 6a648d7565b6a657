// Pipelines' pure rules (docs/architecture.md §5.6): pipeline names, the stage order review → development → staging
// → production, and which apps a promotion goes to. No I/O: the records are loaded by the caller.
import { YbError } from '../shared/errors.js';

export const STAGES = ['review', 'development', 'staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

/** Value of `workflow/pipelines/<name>`. */
export interface PipelineRecord {
  name: string;
  team: string;
  createdAt: string;
  createdBy: string;
  /** Each coupled app and its stage; every one belongs to the pipeline's team. */
  apps: Record<string, Stage>;
  /** Review apps are on: a push of a branch other than main/master to `parent` makes or updates `<parent>-<branch>`. */
  reviewApps?: { parent: string; idleHours: number };
}

const PIPELINE_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

export function checkPipelineName(name: string): string {
  if (!PIPELINE_NAME.test(name) || name.includes('--')) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${name.slice(0, 64)}" is not a valid pipeline name: use 3 to 30 lowercase letters, digits and single dashes, starting with a letter`,
    );
  }
  return name;
}

export function checkStage(stage: string): Stage {
  if (!(STAGES as readonly string[]).includes(stage))
    throw new YbError('YB_ERR_BAD_REQUEST', `"${stage.slice(0, 40)}" is not a stage: use one of ${STAGES.join(', ')}`);
  return stage as Stage;
}

/** Longest idle time of a review app, in hours (a year); fractions are allowed (tests use seconds). */
export const MAX_IDLE_HOURS = 8760;

export function checkIdleHours(hours: number): number {
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_IDLE_HOURS)
    throw new YbError('YB_ERR_BAD_REQUEST', `idle hours must be a number above 0 and at most ${MAX_IDLE_HOURS}`);
  return hours;
}

/**
 * The apps a promotion of `from` goes to: the apps named in `to` (each must be in the pipeline, in a later stage),
 * or else every app of the next stage downstream that has apps (Heroku promotes to "the downstream stage").
 */
export function promotionTargets(p: PipelineRecord, from: string, to?: string[]): { stage: Stage; apps: string[] } {
  const stage = p.apps[from];
  if (!stage) throw new YbError('YB_ERR_BAD_REQUEST', `${from} is not in pipeline ${p.name}`);
  const rank = STAGES.indexOf(stage);
  if (to?.length) {
    const targets = [...new Set(to)];
    for (const t of targets) {
      const s = p.apps[t];
      if (!s) throw new YbError('YB_ERR_BAD_REQUEST', `${t.slice(0, 64)} is not in pipeline ${p.name}; only its own apps can be promoted to`);
      if (t === from) throw new YbError('YB_ERR_BAD_REQUEST', `${from} cannot be promoted to itself`);
      if (STAGES.indexOf(s) <= rank) throw new YbError('YB_ERR_BAD_REQUEST', `${t} is in stage ${s}, not downstream of ${from} (${stage})`);
    }
    return { stage: p.apps[targets[0]!]!, apps: targets };
  }
  for (const next of STAGES.slice(rank + 1)) {
    const apps = Object.keys(p.apps)
      .filter((a) => p.apps[a] === next)
      .sort();
    if (apps.length) return { stage: next, apps };
  }
  throw new YbError(
    'YB_ERR_BAD_REQUEST',
    stage === 'production'
      ? `${from} is in production, the last stage: there is no next stage to promote to`
      : `no app of pipeline ${p.name} is in a stage after ${stage}; add one with yb pipelines:add APP -p ${p.name} --stage STAGE`,
  );
}

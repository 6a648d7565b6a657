// app.json (JSONC) and CHECKS: deploy-time conventions read from the app's source (Heroku/Dokku formats). Pure:
// parse errors are returned with what is at fault, never thrown.
import type { HttpCheck } from '../scheduler/health.js';
import { parseCronJobs, type CronJob } from '../cron/jobs.js';
import { parseJsonc } from './jsonc.js';

export interface DeployManifest {
  requiredEnv: string[];
  envDefaults: Record<string, string>;
  formation: Record<string, { quantity?: number; size?: string }>;
  /** HTTP health checks per process type. */
  healthchecks: Record<string, HttpCheck[]>;
  predeploy?: string;
  postdeploy?: string;
  /** app.json `cron`: scheduled one-offs of the current release (src/cron/). */
  cron?: CronJob[];
}

export const EMPTY_MANIFEST: DeployManifest = { requiredEnv: [], envDefaults: {}, formation: {}, healthchecks: {} };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses app.json text; `errors` name the field at fault. */
export function parseAppJson(text: string): { manifest: DeployManifest; errors: string[] } {
  const errors: string[] = [];
  const m: DeployManifest = { requiredEnv: [], envDefaults: {}, formation: {}, healthchecks: {} };
  // JSONC, as Dokku reads it (hujson): comments and trailing commas are allowed.
  const parsed = parseJsonc(text, 'app.json');
  if ('error' in parsed) return { manifest: m, errors: [parsed.error] };
  const doc = parsed.value;
  if (!isObj(doc)) return { manifest: m, errors: ['app.json must be a JSON object'] };
  if (doc.env !== undefined) {
    if (!isObj(doc.env)) errors.push('app.json "env" must be an object');
    else {
      for (const [k, v] of Object.entries(doc.env)) {
        if (typeof v === 'string') m.envDefaults[k] = v;
        else if (isObj(v)) {
          if (typeof v.value === 'string') m.envDefaults[k] = v.value;
          else if (v.required !== false) m.requiredEnv.push(k);
        } else errors.push(`app.json "env.${k}" must be a string or an object`);
      }
    }
  }
  if (doc.formation !== undefined) {
    if (!isObj(doc.formation)) errors.push('app.json "formation" must be an object');
    else {
      for (const [type, v] of Object.entries(doc.formation)) {
        if (!isObj(v)) {
          errors.push(`app.json "formation.${type}" must be an object`);
          continue;
        }
        const q = v.quantity;
        if (q !== undefined && (!Number.isInteger(q) || (q as number) < 0 || (q as number) > 100))
          errors.push(`app.json "formation.${type}.quantity" must be a whole number from 0 to 100`);
        m.formation[type] = { quantity: q as number | undefined, size: typeof v.size === 'string' ? v.size : undefined };
      }
    }
  }
  if (doc.healthchecks !== undefined) {
    if (!isObj(doc.healthchecks)) errors.push('app.json "healthchecks" must be an object');
    else {
      for (const [type, list] of Object.entries(doc.healthchecks)) {
        if (!Array.isArray(list)) {
          errors.push(`app.json "healthchecks.${type}" must be an array`);
          continue;
        }
        m.healthchecks[type] = [];
        list.forEach((c, i) => {
          if (!isObj(c)) return errors.push(`app.json "healthchecks.${type}[${i}]" must be an object`);
          if (c.type !== undefined && c.type !== 'startup') return; // liveness/readiness: not used at deploy time
          if (typeof c.path !== 'string' || !c.path.startsWith('/')) return errors.push(`app.json "healthchecks.${type}[${i}].path" must start with /`);
          m.healthchecks[type]!.push({
            path: c.path,
            content: typeof c.content === 'string' ? c.content : undefined,
            initialDelay: typeof c.initialDelay === 'number' ? Math.min(c.initialDelay, 60) : undefined,
          });
        });
      }
    }
  }
  if (doc.cron !== undefined) {
    const { jobs, errors: cronErrors } = parseCronJobs(doc.cron);
    errors.push(...cronErrors);
    if (jobs.length) m.cron = jobs;
  }
  const dokku = isObj(doc.scripts) && isObj(doc.scripts.dokku) ? doc.scripts.dokku : undefined;
  if (dokku) {
    if (typeof dokku.predeploy === 'string') m.predeploy = dokku.predeploy;
    if (typeof dokku.postdeploy === 'string') m.postdeploy = dokku.postdeploy;
  }
  return { manifest: m, errors };
}

/** Parses a Dokku CHECKS file: `/path expected content` lines (WAIT=, TIMEOUT=, ATTEMPTS= settings ignored but allowed). */
export function parseChecks(text: string): { checks: HttpCheck[]; errors: string[] } {
  const checks: HttpCheck[] = [];
  const errors: string[] = [];
  let wait: number | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const setting = /^(WAIT|TIMEOUT|ATTEMPTS)=(\d+)$/.exec(line);
    if (setting) {
      if (setting[1] === 'WAIT') wait = Number(setting[2]);
      return;
    }
    const m = /^(\/\S*)\s*(.*)$/.exec(line);
    if (!m) return errors.push(`CHECKS line ${i + 1}: expected "/path expected content"`);
    const path = m[1]!.startsWith('//') ? m[1]!.replace(/^\/\/[^/]*/, '') || '/' : m[1]!;
    checks.push({ path, content: m[2] || undefined, initialDelay: wait });
  });
  return { checks, errors };
}

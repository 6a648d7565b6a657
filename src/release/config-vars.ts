// Config var changes: merging sets and unsets into a new immutable map and describing the change. Pure.
import { checkConfigKey } from './names.js';
import { YbError } from '../shared/errors.js';

export type ConfigVars = Readonly<Record<string, string>>;

const MAX_VALUE = 32 * 1024;

/** Applies a Heroku-style patch (`null` unsets) and returns the new map and whether anything changed. */
export function applyConfigPatch(current: ConfigVars, patch: Record<string, string | null>): { vars: ConfigVars; changed: string[] } {
  const next: Record<string, string> = { ...current };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    checkConfigKey(key);
    if (value === null) {
      if (key in next) {
        delete next[key];
        changed.push(key);
      }
      continue;
    }
    if (typeof value !== 'string') throw new YbError('YB_ERR_BAD_REQUEST', `config var ${key} must be a string or null`);
    if (value.length > MAX_VALUE) throw new YbError('YB_ERR_BAD_REQUEST', `config var ${key} is longer than ${MAX_VALUE} characters`);
    if (next[key] !== value) {
      next[key] = value;
      changed.push(key);
    }
  }
  return { vars: next, changed };
}

/** The release description Heroku writes for a config change, e.g. "Set GREETING, DEBUG config vars". */
export function describeConfigChange(patch: Record<string, string | null>): string {
  const set = Object.entries(patch)
    .filter(([, v]) => v !== null)
    .map(([k]) => k);
  const unset = Object.entries(patch)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  const parts: string[] = [];
  if (set.length) parts.push(`Set ${set.join(', ')} config vars`);
  if (unset.length) parts.push(`Remove ${unset.join(', ')} config vars`);
  return parts.join('; ') || 'No config change';
}

/** Parses CLI `K=V` arguments into a patch; the first `=` splits, values may contain more. */
export function parseAssignments(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new YbError('YB_ERR_BAD_REQUEST', `"${a.slice(0, 64)}" is not KEY=VALUE`);
    out[checkConfigKey(a.slice(0, i))] = a.slice(i + 1);
  }
  return out;
}

// The labels that carry a workload (runtime.ts `Workload`) and the platform instance on the objects a backend makes
// (Docker containers, networks, volumes, images; Kubernetes namespaces, pods, workloads). Shared by the backends under
// src/runtime/ and private to them: the rest of the platform speaks `Workload`.
import type { Selector, Workload } from './runtime.js';

export const LABEL_INSTANCE = 'yunbang.instance';
export const LABEL_KIND = 'yunbang.kind';
export const LABEL_TEAM = 'yunbang.team';
export const LABEL_SERVICE = 'yunbang.service';
/** On images every instance may use (ImageStore.build `shared`): who built it, for people; never ownership. */
export const LABEL_BUILT_BY = 'yunbang.built-by';
const LABEL_APP = 'yunbang.app';
const LABEL_RELEASE = 'yunbang.release';
const LABEL_PROCESS = 'yunbang.process';
const LABEL_INDEX = 'yunbang.index';
const LABEL_GEN = 'yunbang.gen';

/** The labels of a workload (absent fields give no label). Pure. */
export function workloadLabels(w: Selector): Record<string, string> {
  const out: Record<string, string> = {};
  if (w.kind) out[LABEL_KIND] = w.kind;
  if (w.app !== undefined) out[LABEL_APP] = w.app;
  if (w.team !== undefined) out[LABEL_TEAM] = w.team;
  if (w.release !== undefined) out[LABEL_RELEASE] = String(w.release);
  if (w.type !== undefined) out[LABEL_PROCESS] = w.type;
  if (w.index !== undefined) out[LABEL_INDEX] = String(w.index);
  if (w.gen !== undefined) out[LABEL_GEN] = w.gen;
  if (w.service !== undefined) out[LABEL_SERVICE] = w.service;
  return out;
}

/** The workload a container's labels describe. Pure. */
export function workloadOf(labels: Record<string, string> | undefined): Workload {
  const l = labels ?? {};
  const num = (v: string | undefined) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const kind = l[LABEL_KIND];
  const w: Workload = { kind: kind === 'service' || kind === 'run' || kind === 'build' ? kind : 'process' };
  if (l[LABEL_APP] !== undefined) w.app = l[LABEL_APP];
  if (l[LABEL_TEAM] !== undefined) w.team = l[LABEL_TEAM];
  if (num(l[LABEL_RELEASE]) !== undefined) w.release = num(l[LABEL_RELEASE]);
  if (l[LABEL_PROCESS] !== undefined) w.type = l[LABEL_PROCESS];
  if (num(l[LABEL_INDEX]) !== undefined) w.index = num(l[LABEL_INDEX]);
  if (l[LABEL_GEN] !== undefined) w.gen = l[LABEL_GEN];
  if (l[LABEL_SERVICE] !== undefined) w.service = l[LABEL_SERVICE];
  return w;
}

/** Docker `label` filters for the instance and a selector. Pure. */
export function labelFilters(instance: string, selector: Selector): string[] {
  return [`${LABEL_INSTANCE}=${instance}`, ...Object.entries(workloadLabels(selector)).map(([k, v]) => `${k}=${v}`)];
}

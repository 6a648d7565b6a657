// Turns raw `routes/` and `endpoints/` key-values into route-table input, incrementally: a changed key is
// parsed once, so a snapshot that differs in one key out of 20,000 costs a table build, not 20,000 JSON parses.
// Pure: no I/O.
import { keys, MAX_MAINTENANCE_PAGE, type EndpointRecord, type RouteRecord } from '../store/keys.js';
import type { TableInput } from './route-table.js';

/** Keys added or changed (with their new value) and keys removed between two snapshots. */
export interface SnapshotDelta {
  set: Array<[string, string]>;
  del: string[];
}

export function diffSnapshots(prev: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): SnapshotDelta {
  const set: Array<[string, string]> = [];
  const del: string[] = [];
  for (const [k, v] of next) if (prev.get(k) !== v) set.push([k, v]);
  for (const k of prev.keys()) if (!next.has(k)) del.push(k);
  return { set, del };
}

export class TableInputBuilder {
  private readonly routes = new Map<string, RouteRecord>();
  private readonly endpoints = new Map<string, Map<string, EndpointRecord>>();
  // Same layout as parseRouteKey/parseEndpointKey in store/keys.ts, without rebuilding the key set per key.
  private readonly routesPrefix: string;
  private readonly endpointsPrefix: string;

  constructor(prefix: string) {
    const k = keys(prefix);
    this.routesPrefix = k.routesPrefix();
    this.endpointsPrefix = k.endpointsPrefix();
  }

  /** Applies one key's value; returns why it was ignored when it is malformed (the key then counts as absent). */
  set(key: string, raw: string): string | undefined {
    if (key.startsWith(this.routesPrefix)) {
      const host = key.slice(this.routesPrefix.length);
      if (host === '' || host.includes('/')) return undefined;
      const v = parseJson(raw);
      if (isObject(v) && typeof v.app === 'string' && v.app !== '') {
        this.routes.set(host, { app: v.app, httpsOnly: v.httpsOnly === true, ...maintenanceOf(v.maintenance) });
        return undefined;
      }
      this.routes.delete(host);
      return `${key}: not a route record`;
    }
    const ep = this.endpointKey(key);
    if (!ep) return undefined;
    const v = parseJson(raw);
    if (isObject(v) && typeof v.host === 'string' && Number.isInteger(v.port) && (v.port as number) > 0 && (v.port as number) < 65536) {
      let m = this.endpoints.get(ep.app);
      if (!m) this.endpoints.set(ep.app, (m = new Map()));
      m.set(ep.instance, { host: v.host, port: v.port as number, release: Number(v.release ?? 0), container: String(v.container ?? '') });
      return undefined;
    }
    this.deleteEndpoint(ep.app, ep.instance);
    return `${key}: not an endpoint record`;
  }

  delete(key: string): void {
    if (key.startsWith(this.routesPrefix)) {
      this.routes.delete(key.slice(this.routesPrefix.length));
      return;
    }
    const ep = this.endpointKey(key);
    if (ep) this.deleteEndpoint(ep.app, ep.instance);
  }

  /** Applies a delta; returns the problems of the keys it set. */
  apply(delta: SnapshotDelta): string[] {
    const problems: string[] = [];
    for (const k of delta.del) this.delete(k);
    for (const [k, v] of delta.set) {
      const p = this.set(k, v);
      if (p) problems.push(p);
    }
    return problems;
  }

  /** The current input (its maps are read by buildRouteTable at once and not kept). */
  input(revision: number): TableInput {
    return { routes: this.routes, endpoints: this.endpoints, revision };
  }

  get routeCount(): number {
    return this.routes.size;
  }

  private endpointKey(key: string): { app: string; instance: string } | undefined {
    if (!key.startsWith(this.endpointsPrefix)) return undefined;
    const parts = key.slice(this.endpointsPrefix.length).split('/');
    // Only `web` processes are routed.
    if (parts.length !== 3 || parts[1] !== 'web' || parts[0] === '' || parts[2] === '') return undefined;
    return { app: parts[0]!, instance: parts[2]! };
  }

  private deleteEndpoint(app: string, instance: string): void {
    const m = this.endpoints.get(app);
    if (m?.delete(instance) && m.size === 0) this.endpoints.delete(app);
  }
}

export interface ParsedSnapshot extends TableInput {
  /** Keys whose value could not be used, with the reason; the rest of the snapshot still applies. */
  problems: string[];
}

/** Parses a whole snapshot at once (see TableInputBuilder for repeated snapshots). */
export function parseSnapshot(prefix: string, kvs: ReadonlyMap<string, string>, revision: number): ParsedSnapshot {
  const b = new TableInputBuilder(prefix);
  const problems = b.apply({ set: [...kvs], del: [] });
  return { ...b.input(revision), problems };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // reported by the caller as a problem with this key
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A route's maintenance setting: a page only when it is a string within MAX_MAINTENANCE_PAGE. */
function maintenanceOf(raw: unknown): Pick<RouteRecord, 'maintenance'> {
  if (!isObject(raw)) return {};
  const page = raw.page;
  return { maintenance: typeof page === 'string' && Buffer.byteLength(page) <= MAX_MAINTENANCE_PAGE ? { page } : {} };
}

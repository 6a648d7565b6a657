// Reads and validates all settings from the environment at once, reporting every error together.
// The only place that reads process.env for platform settings; components receive the result.
import { isIP } from 'node:net';
import { SETTINGS, type Setting, type SettingName, type SettingType } from './schema.js';

export interface Addr {
  host: string;
  port: number;
}

type ValueOf<T extends SettingType> = T extends 'int' | 'decimal'
  ? number
  : T extends 'addr'
    ? Addr
    : T extends 'bool'
      ? boolean
      : T extends 'list' | 'cidrs'
        ? string[]
        : string;

/** A setting's value: one of its `choices` when it has them, else by its type. */
type SettingValue<S> = S extends { choices: readonly (infer C)[] } ? C : S extends { type: infer T extends SettingType } ? ValueOf<T> : never;

export type PlatformConfig = { [K in SettingName]: SettingValue<(typeof SETTINGS)[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function parseAddr(raw: string): Addr | null {
  const s = raw.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** An IPv4/IPv6 address, or one with a prefix length (10.0.0.0/8, fd00::/8). Pure. */
export function isAddressOrRange(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  const family = isIP(ip ?? '');
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function parse(type: SettingType, raw: string): { ok: true; value: unknown } | { ok: false; why: string } {
  switch (type) {
    case 'int': {
      if (!/^\d+$/.test(raw)) return { ok: false, why: 'must be a whole number' };
      return { ok: true, value: Number(raw) };
    }
    case 'decimal': {
      if (!/^\d+(\.\d+)?$/.test(raw)) return { ok: false, why: 'must be a number such as 1.5' };
      return { ok: true, value: Number(raw) };
    }
    case 'addr': {
      const a = parseAddr(raw);
      return a ? { ok: true, value: a } : { ok: false, why: 'must be host:port' };
    }
    case 'bool':
      if (!/^(1|0|true|false|yes|no)$/i.test(raw)) return { ok: false, why: 'must be true or false' };
      return { ok: true, value: /^(1|true|yes)$/i.test(raw) };
    case 'list':
      return {
        ok: true,
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'cidrs': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = items.find((item) => !isAddressOrRange(item));
      return bad === undefined
        ? { ok: true, value: items }
        : { ok: false, why: `must be IP addresses or CIDR ranges, comma-separated ("${bad.slice(0, 60)}" is not)` };
    }
    default:
      return { ok: true, value: raw };
  }
}

/** Parses every setting from `env`; throws one ConfigError naming all bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS) as Array<[string, Setting]>) {
    const raw = env[s.env];
    const value = raw === undefined || raw === '' ? s.default : raw;
    let r = s.choices && !s.choices.includes(value) ? { ok: false as const, why: `must be ${s.choices.join(' or ')}` } : parse(s.type, value);
    if (r.ok && s.min !== undefined && (r.value as number) < s.min) r = { ok: false, why: `must be at least ${s.min}` };
    if (r.ok) out[name] = r.value;
    else problems.push(`${s.env}=${JSON.stringify(raw)} ${r.why}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out as PlatformConfig;
}

export function formatAddr(a: Addr): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

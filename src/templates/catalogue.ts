// App templates (the seed's application market, CapRover's one-click apps; docs/architecture.md §5.3): folders under
// templates/ in the repository, each a ready app (`app/`: source the buildpacks or a Dockerfile build) and a
// `template.json` naming the backing services it needs and the config it starts with. Reading and checking them is
// here; deploying one is the deployer's and the service manager's (api/routes/templates.ts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { YbError } from '../shared/errors.js';
import { isServiceKind, type ServiceKind } from '../services/kinds.js';

export interface Template {
  name: string;
  description: string;
  services: ServiceKind[];
  config: Record<string, string>;
}

const NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** Parses a template.json; throws one sentence naming the template and the field at fault. Pure. */
export function parseTemplate(name: string, text: string): Template {
  const bad = (what: string) => new Error(`template ${name}: ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(`template.json is not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('template.json must be an object');
  const t = doc as { description?: unknown; services?: unknown; config?: unknown };
  if (
    typeof t.description !== 'string' ||
    t.description === '' ||
    t.description.length > 300 ||
    [...t.description].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
  )
    throw bad('"description" must be a sentence of up to 300 characters, no control characters');
  const services = t.services ?? [];
  if (!Array.isArray(services) || !services.every((s) => typeof s === 'string' && isServiceKind(s)))
    throw bad('"services" must list service kinds (postgres, redis, mysql)');
  if (new Set(services).size !== services.length) throw bad('"services" names a kind twice');
  const config = t.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config) || !Object.values(config).every((v) => typeof v === 'string'))
    throw bad('"config" must map names to strings');
  // Third-party catalogues (third-party.ts) are hostile: names and sizes are bounded as `yb config:set` bounds them.
  const entries = Object.entries(config as Record<string, string>);
  if (entries.length > 100) throw bad('"config" sets more than 100 variables');
  const badKey = entries.find(([k, v]) => !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(k) || v.length > 8192);
  if (badKey) throw bad(`"config" variable ${badKey[0].slice(0, 40)} needs a name of letters, digits and underscores and a value under 8 KiB`);
  return { name, description: t.description, services: services as ServiceKind[], config: config as Record<string, string> };
}

export class TemplateCatalogue {
  constructor(private readonly dir: string) {}

  /** Every template in the catalogue, by name; a broken one is left out (test/unit/templates keeps the shipped ones whole). */
  list(): Template[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && NAME.test(d.name))
      .flatMap((d) => {
        try {
          return [this.get(d.name)];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Template {
    if (!NAME.test(name) || !existsSync(join(this.dir, name, 'template.json')) || !existsSync(join(this.dir, name, 'app')))
      throw new YbError('YB_ERR_NOT_FOUND', `no template named "${name.slice(0, 40)}" (yb templates lists them)`);
    return parseTemplate(name, readFileSync(join(this.dir, name, 'template.json'), 'utf8'));
  }

  /**
   * The template's app as a tar stream (what a source upload carries), made by tar from its folder. Piped at once:
   * a child's output nobody listens to is discarded when the child exits, and the build reads it only later.
   */
  source(name: string): Readable {
    this.get(name);
    const tar = spawn('tar', ['-c', '--owner=0', '--group=0', '-C', join(this.dir, name, 'app'), '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const out = new PassThrough();
    tar.on('error', (err) => out.destroy(err));
    tar.on('exit', (code) => code !== 0 && out.destroy(new Error(`packing template ${name} failed (tar exited with ${code})`)));
    return tar.stdout.pipe(out);
  }
}

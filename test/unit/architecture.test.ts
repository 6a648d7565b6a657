// The dependency rules of docs/architecture.md §2, checked on the import graph of src/ and bin/: no cycles between
// modules, the router imports nothing of the control plane, store and runtime import nothing of the platform, certs
// stay below the API, the CLI reaches the platform only over HTTP, and the runtime seam (§6): only a backend's
// folder knows its API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const graph = new Map<string, string[]>();
for (const f of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'bin'))]) {
  const text = readFileSync(f, 'utf8');
  const deps = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)]
    .filter((m) => !/^\s*import\s+type\s/.test(m[0]))
    .map((m) => relative(ROOT, resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts'))));
  graph.set(relative(ROOT, f), deps);
}

test('the import graph was read (guards the checks below against matching nothing)', () => {
  assert.ok(graph.size > 80, `files: ${graph.size}`);
  assert.ok([...graph.values()].flat().length > 200);
  assert.ok(graph.get('src/control-plane/control-plane.ts')!.includes('src/api/server.ts'));
});

const component = (file: string) => (file.startsWith('src/') ? file.split('/')[1]! : file);

test('no import cycles between modules (type-only imports aside)', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

function violations(from: (c: string) => boolean, allowed: (c: string) => boolean): string[] {
  const out: string[] = [];
  for (const [f, deps] of graph) {
    if (!from(component(f))) continue;
    for (const d of deps) if (!allowed(component(d))) out.push(`${f} → ${d}`);
  }
  return out;
}

test('the router process imports only router, store, config and shared code', () => {
  assert.deepEqual(
    violations(
      (c) => c === 'router' || c === 'bin/yb-router.ts',
      (c) => ['router', 'store', 'config', 'shared'].includes(c),
    ),
    [],
  );
});

test('store and runtime import nothing else of the platform (the runtime: shared code only)', () => {
  assert.deepEqual(
    violations(
      (c) => c === 'store',
      (c) => c === 'store',
    ),
    [],
  );
  assert.deepEqual(
    violations(
      (c) => c === 'runtime',
      (c) => c === 'runtime' || c === 'shared',
    ),
    [],
  );
});

test('certs import only store, shared, config, release, auth and the record formats the router reads; the router never imports certs', () => {
  // The router's certificate records, their inspection and the ACME challenge keys are the contract between the two.
  const routerFormats = ['src/router/tls-record.ts', 'src/router/tls-inspect.ts', 'src/router/acme-challenges.ts'];
  const out: string[] = [];
  for (const [f, deps] of graph) {
    if (component(f) !== 'certs') continue;
    for (const d of deps)
      if (!['certs', 'store', 'shared', 'config', 'release', 'auth'].includes(component(d)) && !routerFormats.includes(d)) out.push(`${f} → ${d}`);
  }
  assert.deepEqual(out, []);
  assert.deepEqual(
    violations(
      (c) => c === 'router' || c === 'bin/yb-router.ts',
      (c) => c !== 'certs',
    ),
    [],
  );
  assert.ok(
    [...graph.keys()].some((f) => component(f) === 'certs'),
    'the check sees the certs component',
  );
});

test('the control-plane wiring is imported by bin/ybd.ts only (no component reaches back into it)', () => {
  const importers = [...graph.entries()]
    .filter(([f, deps]) => component(f) !== 'control-plane' && deps.some((d) => component(d) === 'control-plane'))
    .map(([f]) => f);
  assert.deepEqual(importers, ['bin/ybd.ts']);
});

/** Every file of src/ and bin/ with its text, for the seam checks (type-only imports count there). */
const texts = [...graph.keys()].map((f) => ({ f, text: readFileSync(join(ROOT, f), 'utf8') }));
const inDockerBackend = (f: string) => f.startsWith('src/runtime/docker/');
/** The backends and the labels they share (src/runtime/workload-labels.ts). */
const inRuntime = (f: string) => f.startsWith('src/runtime/');

test('the runtime seam: only src/runtime/docker/ imports dockerode, its backend modules or its labels', () => {
  const dockerode = texts.filter(({ f, text }) => !inDockerBackend(f) && /from\s+'dockerode'|require\('dockerode'\)/.test(text)).map(({ f }) => f);
  assert.deepEqual(dockerode, []);
  // Outside the folder, the backend is reached through runtime.ts; only the one place that picks it imports it.
  const backend = [...graph.entries()]
    .flatMap(([f, deps]) => deps.filter((d) => inDockerBackend(d) && !inDockerBackend(f)).map((d) => `${f} → ${d}`))
    .concat(
      texts.filter(({ f, text }) => !inDockerBackend(f) && /import\s+type[^;]*from\s+'[^']*runtime\/docker\//.test(text)).map(({ f }) => `${f} (type import)`),
    );
  assert.deepEqual(backend, ['src/runtime/start.ts → src/runtime/docker/start.ts']);
  // The labels that mark a workload's objects are the backends' business (runtime.ts speaks `Workload`).
  const labels = /'yunbang\.(instance|kind|app|release|process|index|gen|service|team)'/;
  assert.deepEqual(
    texts.filter(({ f, text }) => !inRuntime(f) && labels.test(text)).map(({ f }) => f),
    [],
  );
  assert.ok(
    texts.some(({ f, text }) => inDockerBackend(f) && /from 'dockerode'/.test(text)),
    'the check sees the backend itself',
  );
});

test('the CLI talks to the platform over HTTP only (no control-plane component imported)', () => {
  assert.deepEqual(
    violations(
      (c) => c === 'cli' || c === 'bin/yb.ts',
      (c) => ['cli', 'shared', 'release', 'config'].includes(c),
    ),
    [],
  );
});

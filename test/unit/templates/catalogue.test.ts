// App templates (src/templates/catalogue.ts): every shipped template reads cleanly, and a broken template.json is
// refused in one sentence naming the template and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate, TemplateCatalogue } from '../../../src/templates/catalogue.js';
import { ROOT } from '../../helpers/platform.js';

test('every folder under templates/ is a template the catalogue lists', () => {
  const dir = join(ROOT, 'templates');
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const catalogue = new TemplateCatalogue(dir);
  assert.deepEqual(
    catalogue.list().map((t) => t.name),
    folders,
  );
  for (const name of folders) assert.equal(catalogue.get(name).name, name);
  assert.ok(folders.length >= 3);
});

test('bad template.json files and names are refused in one sentence', () => {
  for (const [text, why] of [
    ['{', /template.json is not valid JSON/],
    ['[]', /must be an object/],
    ['{"services":[]}', /"description" must be a sentence/],
    ['{"description":"x","services":["oracle"]}', /"services" must list service kinds/],
    ['{"description":"x","services":["redis","redis"]}', /names a kind twice/],
    ['{"description":"x","config":{"A":1}}', /"config" must map names to strings/],
  ] as Array<[string, RegExp]>) {
    assert.throws(() => parseTemplate('t', text), why, text);
  }
  const c = new TemplateCatalogue(join(ROOT, 'templates'));
  for (const name of ['../buildpacks', 'no-such', 'A', '']) assert.throws(() => c.get(name), /no template named/, name);
});

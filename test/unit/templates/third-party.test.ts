// Third-party template catalogues (src/templates/third-party.ts): judging a hostile catalogue from its git tree
// (symbolic links, submodules, missing parts, sizes, names) and the config bounds every template.json is held to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTree, parseTree, TEMPLATE_MAX_BYTES, CATALOGUE_MAX_BYTES, type TreeEntry } from '../../../src/templates/third-party.js';
import { parseTemplate } from '../../../src/templates/catalogue.js';

const blob = (path: string, size = 10): TreeEntry => ({ mode: '100644', type: 'blob', size, path });
const good = (name: string, size = 10) => [blob(`${name}/template.json`), blob(`${name}/app/index.html`, size)];

test('parseTree reads git ls-tree -r -l -z output, sizes and odd paths included', () => {
  const out =
    '100644 blob 0123456789012345678901234567890123456789      12\ta/template.json\0' +
    '120000 blob 0123456789012345678901234567890123456789      11\ta/app/x y\0' +
    '160000 commit 0123456789012345678901234567890123456789       -\tsub\0';
  assert.deepEqual(parseTree(out), [
    { mode: '100644', type: 'blob', size: 12, path: 'a/template.json' },
    { mode: '120000', type: 'blob', size: 11, path: 'a/app/x y' },
    { mode: '160000', type: 'commit', size: 0, path: 'sub' },
  ]);
});

test('good templates are accepted; top-level files and hidden folders are passed over', () => {
  const r = judgeTree([blob('README.md'), blob('.github/workflows/x.yml'), ...good('site'), ...good('api')]);
  assert.deepEqual(r, { accepted: ['api', 'site'], refused: [] });
});

test('symbolic links, submodules, missing parts, bad names and sizes are refused, each with its reason', () => {
  const r = judgeTree([
    ...good('ok'),
    ...good('linked'),
    { mode: '120000', type: 'blob', size: 11, path: 'linked/app/passwd' },
    ...good('moduled'),
    { mode: '160000', type: 'commit', size: 0, path: 'moduled/app/vendor' },
    blob('nojson/app/index.html'),
    blob('noapp/template.json'),
    ...good('Bad_Name'),
    ...good('huge', TEMPLATE_MAX_BYTES + 1),
    { mode: '160000', type: 'commit', size: 0, path: 'topmodule' },
  ]);
  assert.deepEqual(r.accepted, ['ok']);
  assert.deepEqual(Object.fromEntries(r.refused.map((x) => [x.template, x.reason])), {
    Bad_Name: 'its folder name is not a template name (lowercase letters, digits, dashes)',
    huge: 'it holds 51 MiB, more than the 50 MiB a template may',
    linked: 'linked/app/passwd is a symbolic link, which catalogue templates may not hold',
    moduled: 'moduled/app/vendor is a git submodule, which catalogue templates may not hold',
    noapp: 'it has no app/ folder with files',
    nojson: 'it has no template.json',
    topmodule: 'topmodule is a git submodule, which catalogue templates may not hold',
  });
});

test('the whole catalogue is bounded: templates beyond the total are refused', () => {
  const many = Array.from({ length: 5 }, (_, i) => good(`t${i}`, TEMPLATE_MAX_BYTES - 100)).flat();
  const r = judgeTree(many);
  assert.equal(r.accepted.length, Math.floor(CATALOGUE_MAX_BYTES / TEMPLATE_MAX_BYTES));
  assert.match(r.refused[0]!.reason, /the catalogue holds more than the 200 MiB allowed/);
});

test('template.json config names and values are bounded', () => {
  assert.throws(() => parseTemplate('t', JSON.stringify({ description: 'x', config: { 'BAD KEY': 'v' } })), /"config" variable BAD KEY needs a name/);
  assert.throws(() => parseTemplate('t', JSON.stringify({ description: 'x', config: { K: 'v'.repeat(9000) } })), /value under 8 KiB/);
  assert.throws(() => parseTemplate('t', JSON.stringify({ description: 'x\u001b[2J' })), /"description" must be a sentence/);
  assert.throws(() => parseTemplate('t', JSON.stringify({ description: 'x', services: ['mongodb'] })), /"services" must list service kinds/);
  assert.equal(parseTemplate('t', JSON.stringify({ description: 'x', config: { GREETING: 'hi' } })).config.GREETING, 'hi');
});

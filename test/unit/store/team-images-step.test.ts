// Layout step 1 (team-images): which ownership record a release of layout 0 implies. It must grant exactly what the
// removed fallback scan granted (a built release's image to the app's team) and nothing more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownerRecordFor } from '../../../src/store/migrations/team-images.js';

const id = `sha256:${'ab'.repeat(32)}`;
const app = { name: 'hello', team: 'blue' };

test('a buildpack or Dockerfile release records its image as the app team’s build', () => {
  for (const builder of ['buildpacks', 'dockerfile']) {
    const rec = ownerRecordFor(app, { version: 3, imageId: id, builder, createdBy: 'ann', createdAt: '2026-01-02T03:04:05.000Z' });
    assert.deepEqual(rec, {
      team: 'blue',
      id,
      value: { id, team: 'blue', source: 'build', app: 'hello', by: 'ann', at: '2026-01-02T03:04:05.000Z' },
    });
  }
});

test('a deploy:image release grants nothing (the scan did not count it either)', () => {
  assert.equal(ownerRecordFor(app, { version: 1, imageId: id, builder: 'image' }), null);
});

test('a release without a well-formed image id grants nothing (no key is built from a hostile string)', () => {
  assert.equal(ownerRecordFor(app, { version: 1, builder: 'buildpacks' }), null);
  assert.equal(ownerRecordFor(app, { version: 1, imageId: 'sha256:../../users/admin', builder: 'buildpacks' }), null);
  assert.equal(ownerRecordFor(app, { version: 1, imageId: `sha256:${'AB'.repeat(32)}`, builder: 'buildpacks' }), null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReviewConfig } from '../../../src/pipelines/review-config.js';

test('environments.review: env and services (Heroku add-on names or our kinds)', () => {
  const text = `{
    // JSONC, as app.json is read elsewhere
    "env": { "GREETING": "prod" },
    "environments": { "review": {
      "env": { "GREETING": "review", "DEBUG": { "value": "1" } },
      "addons": ["heroku-redis", { "plan": "heroku-postgresql:mini" }],
      "services": ["redis"],
    } }
  }`;
  assert.deepEqual(parseReviewConfig(text), { env: { GREETING: 'review', DEBUG: '1' }, services: ['redis', 'postgres'] });
});

test('no app.json or no review section: nothing', () => {
  assert.deepEqual(parseReviewConfig(null), { env: {}, services: [] });
  assert.deepEqual(parseReviewConfig('{"env": {"A": "b"}}'), { env: {}, services: [] });
});

test('hostile or broken review sections are refused in one sentence', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /app.json is not valid JSON/],
    ['{"environments": {"review": []}}', /"environments.review" must be an object/],
    ['{"environments": {"review": {"env": {"BAD-KEY": "x"}}}}', /"BAD-KEY" is not a valid config var name/],
    ['{"environments": {"review": {"env": {"A": 1}}}}', /"environments.review.env.A" must be a string/],
    ['{"environments": {"review": {"addons": ["mongodb"]}}}', /"environments.review.addons\[0\]" is not a service this platform provides/],
    ['{"environments": {"review": {"addons": "redis"}}}', /must be an array/],
    [`{"environments": {"review": {"env": {"A": "${'x'.repeat(40000)}"}}}}`, /at most 32 KiB/],
  ];
  for (const [text, want] of cases) assert.throws(() => parseReviewConfig(text), want, text.slice(0, 60));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIdleHours, checkPipelineName, checkStage, promotionTargets, type PipelineRecord } from '../../../src/pipelines/stages.js';

const pipeline = (apps: PipelineRecord['apps']): PipelineRecord => ({ name: 'shop', team: 't', createdAt: '', createdBy: 'u', apps });

test('promotes to every app of the next stage that has apps', () => {
  const p = pipeline({ dev: 'development', stg: 'staging', 'prod-eu': 'production', 'prod-us': 'production' });
  assert.deepEqual(promotionTargets(p, 'stg'), { stage: 'production', apps: ['prod-eu', 'prod-us'] });
  assert.deepEqual(promotionTargets(p, 'dev'), { stage: 'staging', apps: ['stg'] });
});

test('skips empty stages: review apps promote to staging when there is no development app', () => {
  const p = pipeline({ 'shop-x': 'review', stg: 'staging' });
  assert.deepEqual(promotionTargets(p, 'shop-x'), { stage: 'staging', apps: ['stg'] });
});

test('refuses production (no next stage), an empty downstream, apps outside the pipeline and upstream targets', () => {
  const p = pipeline({ stg: 'staging', prod: 'production' });
  assert.throws(() => promotionTargets(p, 'prod'), /in production, the last stage: there is no next stage/);
  assert.throws(() => promotionTargets(pipeline({ stg: 'staging' }), 'stg'), /no app of pipeline shop is in a stage after staging/);
  assert.throws(() => promotionTargets(p, 'other'), /other is not in pipeline shop/);
  assert.throws(() => promotionTargets(p, 'stg', ['elsewhere']), /elsewhere is not in pipeline shop; only its own apps/);
  assert.throws(() => promotionTargets(p, 'prod', ['stg']), /stg is in stage staging, not downstream of prod/);
  assert.throws(() => promotionTargets(p, 'stg', ['stg']), /cannot be promoted to itself/);
  assert.deepEqual(promotionTargets(p, 'stg', ['prod', 'prod']), { stage: 'production', apps: ['prod'] });
});

test('names, stages and idle hours are checked', () => {
  assert.equal(checkPipelineName('shop-1'), 'shop-1');
  for (const bad of ['ab', 'Shop', '1shop', 'a--b', '../x', 'x'.repeat(31)]) assert.throws(() => checkPipelineName(bad), /not a valid pipeline name/, bad);
  assert.equal(checkStage('staging'), 'staging');
  assert.throws(() => checkStage('prod'), /not a stage: use one of review, development, staging, production/);
  assert.equal(checkIdleHours(0.5), 0.5);
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 9000]) assert.throws(() => checkIdleHours(bad), /idle hours must be a number above 0/);
});

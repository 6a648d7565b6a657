// DockerRuntime.buildImage's answer to the engine fault where a build cache record outlives its layer: the cache is
// pruned once (all of it) and the build runs again from a fresh context; any other failure is not retried. The
// engine here is a fake on a unix socket: this tests the decision, not Docker (the integration suite builds for real).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'yb-lost-layer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake engine answering each POST /build with the next of `builds` (an error text, or an image id). */
async function fakeEngine(builds: { error?: string; id?: string }[]) {
  const seen: string[] = [];
  const contexts: string[] = [];
  const socket = join(dir, `engine-${builds.length}-${Date.now()}.sock`);
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push(`${req.method} ${url.pathname.replace(/^\/v[\d.]+/, '')}${url.pathname.endsWith('/prune') ? `?${url.searchParams}` : ''}`);
    res.setHeader('content-type', 'application/json');
    if (url.pathname.endsWith('/build/prune')) return res.end(JSON.stringify({ CachesDeleted: ['a', 'b'], SpaceReclaimed: 1024 }));
    if (url.pathname.endsWith('/build')) {
      contexts.push(body);
      const next = builds.shift() ?? { error: 'no more builds' };
      res.write(`${JSON.stringify({ stream: 'Step 1/1\n' })}\n`);
      return res.end(`${JSON.stringify(next.error ? { error: next.error } : { id: 'moby.image.id', aux: { ID: next.id } })}\n`);
    }
    res.statusCode = 404;
    res.end('{"message":"not here"}');
  });
  await new Promise<void>((r) => server.listen(socket, r));
  after(() => server.close());
  return { runtime: new DockerRuntime('lost-layer-test', `unix://${socket}`), seen, contexts };
}

let made = 0;
const context = () => Readable.from([`context ${++made}`]);

test('a build that fails with "layer does not exist" prunes the whole build cache and builds once more', async () => {
  const { runtime, seen, contexts } = await fakeEngine([
    { error: 'failed to export image: failed to create image: failed to get layer sha256:ab: layer does not exist' },
    { id: 'sha256:built' },
  ]);
  const lines: string[] = [];
  made = 0;
  const id = await runtime.images.build(context, { tag: 'yunbang-app/a:1', labels: {} }, (l) => lines.push(l));
  assert.equal(id, 'sha256:built');
  assert.deepEqual(seen, ['POST /build', 'POST /build/prune?all=true', 'POST /build']);
  assert.deepEqual(contexts, ['context 1', 'context 2'], 'the second attempt sends a fresh context');
  assert.ok(lines.some((l) => /build cache names a layer the engine no longer has.*building again/.test(l)));
});

test('the second attempt is the last: a lost layer again fails the build with the engine message', async () => {
  const lost = 'failed to get layer sha256:ab: layer does not exist';
  const { runtime, seen } = await fakeEngine([{ error: lost }, { error: lost }, { id: 'sha256:never' }]);
  await assert.rejects(
    runtime.images.build(context, { tag: 'yunbang-app/a:2', labels: {} }, () => undefined),
    { message: lost },
  );
  assert.deepEqual(seen, ['POST /build', 'POST /build/prune?all=true', 'POST /build']);
});

test('other build failures, and classic builds, are not retried and prune nothing', async () => {
  const failing = await fakeEngine([{ error: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3' }, { id: 'sha256:never' }]);
  await assert.rejects(
    failing.runtime.images.build(context, { tag: 'yunbang-app/a:3', labels: {} }, () => undefined),
    /exit code: 3/,
  );
  assert.deepEqual(failing.seen, ['POST /build']);
  const classic = await fakeEngine([{ error: 'layer does not exist' }, { id: 'sha256:never' }]);
  await assert.rejects(
    classic.runtime.images.build(context, { tag: 'svc:1', labels: {}, classic: true }, () => undefined),
    /layer does not exist/,
  );
  assert.deepEqual(classic.seen, ['POST /build']);
});

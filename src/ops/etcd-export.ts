// Reads platform state out of etcd for a backup (docs/architecture.md §9): every key of the instance's prefix at one
// revision, paged (each page is a range read pinned to that revision, so writes meanwhile are not seen), and etcd's
// own snapshot through the Maintenance API. Writes files only where told; knows nothing of what the keys mean.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Store } from '../store/store.js';
import type { KeyLine } from './backup-manifest.js';

const PAGE = 500;

/** Writes keys.jsonl of every key under the store's prefix as of `revision` (now when absent); resolves to the count and revision. */
export async function exportKeys(store: Store, file: string, revision?: number): Promise<{ keys: number; revision: number }> {
  const prefix = store.keys.prefix;
  const end = Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));
  const at = revision ?? (await store.revision());
  const out = createWriteStream(file, { mode: 0o600 });
  let from = Buffer.from(prefix);
  let count = 0;
  try {
    for (;;) {
      // A range pinned to one revision: etcd answers from its MVCC history, so the pages form one consistent view.
      const res = await store.client.kv.range({ key: from, range_end: end, revision: at, limit: PAGE, sort_order: 'Ascend', sort_target: 'Key' });
      for (const kv of res.kvs) {
        const line: KeyLine = { k: kv.key.toString().slice(prefix.length), v: kv.value.toString() };
        if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
        count++;
      }
      if (!res.more || res.kvs.length === 0) break;
      from = Buffer.concat([res.kvs.at(-1)!.key, Buffer.from([0])]);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { keys: count, revision: at };
}

/**
 * etcd's snapshot of its whole backend (Maintenance.Snapshot) into `file`. Only for an etcd this instance owns alone
 * (the embedded one): a shared etcd's snapshot holds other instances' state. Resolves to the revision it was taken at.
 */
export async function snapshotEtcd(store: Store, file: string): Promise<number> {
  const before = await store.revision();
  const out = createWriteStream(file, { mode: 0o600 });
  const stream = await store.client.maintenance.snapshot();
  let revision = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (r) => {
      if (!revision && r.header?.revision) revision = Number(r.header.revision);
      out.write(r.blob);
    });
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  out.end();
  await once(out, 'close');
  // etcd 3.4 leaves the header empty: the snapshot is then of a moment at or after `before`.
  return revision || before;
}

// admin:backup FILE: downloads the platform backup (GET /admin/backup) into FILE, with progress on stderr. Written
// beside FILE first and renamed only once the whole archive arrived, so FILE is never a cut-short archive.
// admin:restore only says where a restore happens: on the host, before the platform starts (ybd restore FILE).
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { apiToken, apiUrl } from '../credentials.js';
import { apiError, CliError } from '../client.js';
import { ERRORS } from '../../shared/errors.js';
import { print } from '../output.js';

export function registerAdminBackup(program: Command): void {
  program
    .command('admin:backup')
    .argument('<file>', 'where to write the archive (.tar.gz)')
    .description('back up the whole platform: etcd state, git repos, sealed keys, service backups (platform administrators)')
    .addHelpText(
      'after',
      '\nThe archive holds the key that opens config at rest: keep it as safe as that key.\nRestore it with "ybd restore FILE" on a fresh data dir.\n\nExamples:\n  yb admin:backup yunbang-$(date +%F).tar.gz',
    )
    .action(async (file: string) => {
      const base = apiUrl();
      const token = apiToken(base);
      const started = Date.now();
      let res: Response;
      try {
        res = await fetch(`${base}/admin/backup`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      } catch (err) {
        throw new CliError(`the Yunbang API is not reachable at ${base}`, ERRORS.YB_ERR_API_UNREACHABLE.exit, 'set YB_API_URL', { cause: err });
      }
      if (!res.ok || !res.body) {
        const text = await res.text();
        throw apiError(res, parseJson(text));
      }
      const partial = `${file}.partial`;
      let bytes = 0;
      let shown = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes - shown >= 8 * 1024 * 1024) {
            shown = bytes;
            process.stderr.write(`received ${(bytes / 1024 / 1024).toFixed(0)} MiB\n`);
          }
          done(null, chunk);
        },
      });
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, createWriteStream(partial, { mode: 0o600 }));
      } catch (err) {
        await rm(partial, { force: true });
        throw new CliError('the backup was cut short by the server (see its log); nothing was written', 1, undefined, { cause: err });
      }
      await rename(partial, file);
      print(`Backed up to ${file} (${(bytes / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    });
}

/** A restore replaces a platform's state and cannot go through the API of a running one (docs/architecture.md §9). */
export function registerAdminRestore(program: Command): void {
  program
    .command('admin:restore')
    .argument('<file>', 'a backup made by yb admin:backup')
    .description('how to restore a platform backup (it runs on the host, onto a fresh data dir, before the platform starts)')
    .addHelpText(
      'after',
      '\nExamples:\n  YB_DATA_DIR=/var/lib/yunbang-new npm start -- restore yunbang-2026-12-05.tar.gz\n  node dist/bin/ybd.js restore yunbang-2026-12-05.tar.gz',
    )
    .action((file: string) => {
      throw new CliError(
        `a backup is restored on the platform's host onto a fresh data dir, not into a running platform: run "ybd restore ${file}" (or "npm start -- restore ${file}") there`,
        ERRORS.YB_ERR_BAD_REQUEST.exit,
        'see docs/operating.md, "Backup and restore"',
      );
    });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not an API error body
  }
}

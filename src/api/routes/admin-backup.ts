// /admin/backup: the whole platform as one gzipped tar streamed to the caller (platform administrators;
// docs/architecture.md §9). What goes in is ops/backup.ts's; a failure part-way cuts the stream before its manifest,
// so the partial archive can never be restored.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser } from '../auth-hook.js';
import { YbError } from '../../shared/errors.js';
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';
import { BackupArchiveWriter } from '../../ops/backup-archive.js';
import { writeBackup } from '../../ops/backup.js';

export function registerAdminBackup(api: FastifyInstance, ctx: ApiContext): void {
  let running = false; // one backup at a time: each takes fresh service dumps and a snapshot
  api.get(
    '/admin/backup',
    {
      schema: {
        summary: 'Back up the platform: etcd state, git repos, sealed keys and service backups as a tar.gz (platform administrators)',
        description:
          'Streams `application/gzip`. The archive ends with `manifest.json` (format, state layout, instance, counts, sha256 of every part); ' +
          'an archive without it was cut short. It holds the secret key that opens the config at rest: keep it like that key. Restore with `ybd restore FILE`.',
        produces: ['application/gzip'],
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      if (!user.admin) throw new YbError('YB_ERR_FORBIDDEN', 'only platform administrators back up the platform');
      if (running) throw new YbError('YB_ERR_CONFLICT', 'a platform backup is already running; try again when it has finished');
      running = true;
      const writer = new BackupArchiveWriter();
      const log = ctx.log.child({ component: 'backup' });
      let finished = false;
      // A client that hangs up mid-way would leave the archive unread and the backup waiting on it for ever.
      reply.raw.once('close', () => finished || writer.abort(new Error('the client closed the connection before the backup was complete')));
      writeBackup(
        {
          store: ctx.store,
          services: ctx.services.manager,
          dataDir: ctx.dataDir,
          instance: ctx.runtime.instance,
          embeddedEtcd: ctx.embeddedEtcd ?? false,
          progress: (line) => log.info(line),
        },
        writer,
      )
        .then(() => {
          finished = true; // the archive is complete; a close from now on is the end of its response
          return recordEvent(
            ctx.store,
            { team: ACCOUNT_EVENTS, user: user.name, action: 'platform.backup', ip: req.ip, detail: { bytes: writer.bytes } },
            ctx.log,
          );
        })
        .catch((err: unknown) => {
          if (reply.raw.destroyed) log.warn({ err }, 'platform backup ended: the client closed the connection before the backup was complete');
          else log.error({ err }, 'platform backup failed');
          writer.abort(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => {
          finished = true;
          running = false;
        });
      return reply.type('application/gzip').header('content-disposition', 'attachment; filename="yunbang-backup.tar.gz"').send(writer.output);
    },
  );
}

// /keys: the caller's SSH public keys (git over SSH); /admin/rotate-key: a new secret key for the config
// encrypted at rest (platform administrators).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser } from '../auth-hook.js';
import { YbError } from '../../shared/errors.js';
import { addSshKey, listSshKeys, removeSshKey } from '../../auth/ssh-keys.js';
import { rotateSecretKey } from '../../auth/secrets.js';
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';

const keySchema = {
  type: 'object',
  properties: { fingerprint: { type: 'string' }, type: { type: 'string' }, comment: { type: 'string' }, createdAt: { type: 'string' } },
} as const;

function present(k: { fingerprint: string; type: string; comment: string; createdAt: string }) {
  return { fingerprint: k.fingerprint, type: k.type, comment: k.comment, createdAt: k.createdAt };
}

export function registerKeys(api: FastifyInstance, ctx: ApiContext): void {
  const audit = (req: FastifyRequest, action: string, detail: Record<string, unknown>) =>
    recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: currentUser(req).name, action, ip: req.ip, detail }, ctx.log);

  api.get('/keys', { schema: { summary: 'Your SSH public keys', response: { 200: { type: 'array', items: keySchema } } } }, async (req) => {
    return (await listSshKeys(ctx.store, currentUser(req).name)).map(present);
  });

  api.post(
    '/keys',
    {
      schema: {
        summary: 'Add an SSH public key (OpenSSH format) for git over SSH',
        body: {
          type: 'object',
          properties: { publicKey: { type: 'string', minLength: 1, maxLength: 16384, pattern: '^\\s*(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) ' } },
          required: ['publicKey'],
          additionalProperties: false,
        },
        response: { 201: keySchema },
      },
    },
    async (req, reply) => {
      const rec = await addSshKey(ctx.store, currentUser(req).name, (req.body as { publicKey: string }).publicKey);
      await audit(req, 'key.add', { fingerprint: rec.fingerprint });
      return reply.code(201).send(present(rec));
    },
  );

  api.delete(
    '/keys/:key',
    {
      schema: {
        summary: 'Remove one of your SSH keys by fingerprint (SHA256:…) or comment',
        params: { type: 'object', properties: { key: { type: 'string', maxLength: 200 } }, required: ['key'], additionalProperties: false },
        response: { 200: keySchema },
      },
    },
    async (req) => {
      const { key } = req.params as { key: string };
      const rec = await removeSshKey(ctx.store, currentUser(req).name, key);
      if (!rec) throw new YbError('YB_ERR_NOT_FOUND', `you have no SSH key "${key.slice(0, 100)}"`);
      await audit(req, 'key.remove', { fingerprint: rec.fingerprint });
      return present(rec);
    },
  );

  api.post(
    '/admin/rotate-key',
    {
      schema: {
        summary: 'Re-encrypt config at rest with a new secret key (platform administrators)',
        response: { 200: { type: 'object', properties: { kid: { type: 'string' }, resealed: { type: 'integer' } } } },
      },
    },
    async (req) => {
      if (!currentUser(req).admin) throw new YbError('YB_ERR_FORBIDDEN', 'only platform administrators rotate the secret key');
      const result = await rotateSecretKey(ctx.store, ctx.dataDir);
      await audit(req, 'secret-key.rotate', { kid: result.kid, resealed: result.resealed });
      ctx.log.info({ kid: result.kid, resealed: result.resealed }, 'secret key rotated');
      return result;
    },
  );
}

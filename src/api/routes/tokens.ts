// /tokens: the caller's API tokens (stored hashed; a token itself is shown once, at creation); revoked by id.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser } from '../auth-hook.js';
import { YbError } from '../../shared/errors.js';
import { createToken, listTokens, revokeToken } from '../../auth/tokens.js';
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';

const tokenSchema = { type: 'object', properties: { id: { type: 'string' }, description: { type: 'string' }, createdAt: { type: 'string' } } } as const;

export function registerTokens(api: FastifyInstance, ctx: ApiContext): void {
  const audit = (req: FastifyRequest, action: string, detail: Record<string, unknown>) =>
    recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: currentUser(req).name, action, ip: req.ip, detail }, ctx.log);

  api.get(
    '/tokens',
    { schema: { summary: 'Your API tokens (ids and descriptions; never the tokens)', response: { 200: { type: 'array', items: tokenSchema } } } },
    async (req) => {
      return (await listTokens(ctx.store, currentUser(req).name)).map(({ id, description, createdAt }) => ({ id, description, createdAt }));
    },
  );

  api.post(
    '/tokens',
    {
      schema: {
        summary: 'Create an API token; the answer is the only time it is shown',
        body: { type: 'object', properties: { description: { type: 'string', maxLength: 100 } }, additionalProperties: false },
        response: {
          201: {
            type: 'object',
            properties: { id: { type: 'string' }, description: { type: 'string' }, createdAt: { type: 'string' }, token: { type: 'string' } },
          },
        },
      },
    },
    async (req, reply) => {
      const description = ((req.body ?? {}) as { description?: string }).description ?? '';
      const { token, record } = await createToken(ctx.store, currentUser(req).name, description);
      await audit(req, 'token.create', { tokenId: record.id });
      return reply.code(201).send({ id: record.id, description: record.description, createdAt: record.createdAt, token });
    },
  );

  api.delete(
    '/tokens/:id',
    {
      schema: {
        summary: 'Revoke one of your tokens by id',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'], additionalProperties: false },
        response: { 200: tokenSchema },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const rec = await revokeToken(ctx.store, currentUser(req).name, id);
      if (!rec) throw new YbError('YB_ERR_NOT_FOUND', `you have no token with id "${id.slice(0, 64)}"`);
      await audit(req, 'token.revoke', { tokenId: rec.id });
      return { id: rec.id, description: rec.description, createdAt: rec.createdAt };
    },
  );
}

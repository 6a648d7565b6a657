// The API surface's error mapper: every failure becomes `{ id, message }` with the registry's HTTP status.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, YbError, errorId, type ErrorCode } from '../shared/errors.js';
import { StoreUnavailableError } from '../store/store.js';
import { RuntimeUnavailableError } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';

export function toYbError(err: unknown): YbError {
  if (err instanceof YbError) return err;
  if (err instanceof StoreUnavailableError) return new YbError('YB_ERR_ETCD_UNAVAILABLE', err.message, { cause: err });
  if (err instanceof RuntimeUnavailableError) return new YbError('YB_ERR_DOCKER_UNAVAILABLE', err.message, { cause: err });
  const fe = err as FastifyError;
  if (fe?.validation) return new YbError('YB_ERR_BAD_REQUEST', `invalid request: ${fe.message}`);
  if (fe?.statusCode === 413 || fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new YbError('YB_ERR_TOO_LARGE', fe.message);
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new YbError('YB_ERR_BAD_REQUEST', fe.message);
  return new YbError('YB_ERR_INTERNAL', 'internal error; see the platform log', { cause: err });
}

export function errorBody(e: YbError): { id: string; message: string; hint?: string } {
  return e.hint ? { id: errorId(e.code), message: e.message, hint: e.hint } : { id: errorId(e.code), message: e.message };
}

export function makeErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') log.error({ err, url: req.url, method: req.method }, 'request failed');
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    reply.code(ERRORS[e.code as ErrorCode].status).send(errorBody(e));
  };
}

// Who may see and change a pipeline (docs/architecture.md §5.6): the roles of its team, as for the team's apps;
// another team's pipeline answers as a missing one, so names do not leak across tenants.
import type { FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { currentUser, mayOnTeam } from './auth-hook.js';
import type { Action } from '../auth/access.js';
import { YbError } from '../shared/errors.js';
import { PipelineRecords } from '../pipelines/pipeline-records.js';
import type { PipelineRecord } from '../pipelines/stages.js';

export const pipelineParams = {
  type: 'object',
  required: ['pipeline'],
  properties: { pipeline: { type: 'string', maxLength: 64 } },
} as const;

/** The pipeline named in the route when the caller may do `action` on its team; 404 when they may not even read it. */
export async function pipelineFor(ctx: ApiContext, req: FastifyRequest, action: Action): Promise<PipelineRecord> {
  const name = (req.params as { pipeline: string }).pipeline;
  const user = currentUser(req);
  const p = await new PipelineRecords(ctx.store).get(name);
  if (!p || !(await mayOnTeam(ctx, user, p.team, 'read'))) throw new YbError('YB_ERR_NOT_FOUND', `no pipeline named "${name.slice(0, 64)}"`);
  if (!(await mayOnTeam(ctx, user, p.team, action))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow ${action} on pipeline ${p.name}`);
  return p;
}

// /apps/{app}/autoscale: autoscaling policies per process type (src/autoscale/, docs/architecture.md §5.5): list them
// with the current metric and last decision, set one (`yb autoscale web --min 1 --max 6 --p95-ms 300`), turn one off.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import { MAX_AUTOSCALE, type PolicyRequest } from '../../autoscale/policy.js';

const metricSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: { type: ['number', 'null'] },
    target: { type: 'number' },
    requests: { type: 'number' },
    windowS: { type: 'number' },
    hotSlices: { type: 'number' },
    slices: { type: 'number' },
  },
} as const;

const decisionSchema = {
  type: ['object', 'null'],
  properties: {
    at: { type: 'string' },
    type: { type: 'string' },
    kind: { type: 'string' },
    reason: { type: 'string' },
    from: { type: 'integer' },
    to: { type: 'integer' },
    wanted: { type: 'integer' },
    metric: metricSchema,
    message: { type: 'string' },
  },
} as const;

const viewSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    min: { type: 'integer' },
    max: { type: 'integer' },
    p95Ms: { type: 'integer' },
    rps: { type: 'number' },
    setAt: { type: 'string' },
    setBy: { type: 'string' },
    quantity: { type: 'integer' },
    current: metricSchema,
    last: decisionSchema,
    lastRecorded: decisionSchema,
  },
} as const;

const typeParams = {
  type: 'object',
  required: ['app', 'type'],
  // The type is checked against the app's formation after authorisation: another team's app answers as a missing one.
  properties: { app: appParams.properties.app, type: { type: 'string', maxLength: 30 } },
} as const;

export function registerAutoscale(api: FastifyInstance, ctx: ApiContext): void {
  const autoscaler = () => {
    if (!ctx.autoscaler) throw new YbError('YB_ERR_INTERNAL', 'autoscaling is not run by this control plane');
    return ctx.autoscaler;
  };

  api.get(
    '/apps/:app/autoscale',
    {
      schema: {
        summary: "The app's autoscaling policies: limits, target, processes now, the metric over the window and the last decision",
        params: appParams,
        response: { 200: { type: 'array', items: viewSchema } },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return autoscaler().list(app.name);
    },
  );

  api.put(
    '/apps/:app/autoscale/:type',
    {
      schema: {
        summary: 'Autoscale a process type between min and max processes for a p95 latency (ms) or requests/s per process',
        params: typeParams,
        body: {
          type: 'object',
          required: ['min', 'max'],
          additionalProperties: false,
          properties: {
            min: { type: 'integer', minimum: 1, maximum: MAX_AUTOSCALE },
            max: { type: 'integer', minimum: 1, maximum: MAX_AUTOSCALE },
            p95Ms: { type: 'integer', minimum: 10, maximum: 60000 },
            rps: { type: 'number', minimum: 0.1, maximum: 100000 },
          },
        },
        response: { 200: viewSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      return autoscaler().set(app, (req.params as { type: string }).type, req.body as PolicyRequest, currentUser(req).name);
    },
  );

  api.delete(
    '/apps/:app/autoscale/:type',
    {
      schema: {
        summary: 'Turn autoscaling of a process type off; its processes stay as many as they are',
        params: typeParams,
        response: { 200: { type: 'object', properties: { type: { type: 'string' }, autoscaled: { type: 'boolean' } } } },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const type = (req.params as { type: string }).type;
      if (!(await autoscaler().off(app.name, type, `by ${currentUser(req).name}`)))
        throw new YbError('YB_ERR_NOT_FOUND', `${type.slice(0, 30)} of ${app.name} is not autoscaled (see yb autoscale)`);
      return { type, autoscaled: false };
    },
  );
}

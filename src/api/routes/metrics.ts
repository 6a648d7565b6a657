// /metrics (Prometheus text, control-plane metrics; admins only, as it names every app) and
// /apps/{app}/metrics (the last-hour summary `yb metrics` prints) and /apps/{app}/metrics/timeline (the console's charts).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';

const typeSummary = {
  type: 'object',
  properties: {
    processes: { type: 'integer' },
    restarts: { type: 'integer' },
    cpuAvg: { type: 'number', description: 'cores' },
    cpuMax: { type: 'number' },
    memoryAvgBytes: { type: 'integer' },
    memoryMaxBytes: { type: 'integer' },
  },
} as const;

export const summarySchema = {
  type: 'object',
  properties: {
    app: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    requests: { type: 'integer' },
    byClass: { type: 'object', additionalProperties: { type: 'integer' } },
    errorRate: { type: 'number', description: '5xx responses / all responses' },
    p50Ms: { type: ['number', 'null'] },
    p95Ms: { type: ['number', 'null'] },
    meanMs: { type: ['number', 'null'] },
    processTypes: { type: 'object', additionalProperties: typeSummary },
    samples: { type: 'integer' },
  },
  examples: [
    {
      app: 'hello',
      from: '2026-11-26T00:00:00.000Z',
      to: '2026-11-26T01:00:00.000Z',
      requests: 1200,
      byClass: { '1xx': 0, '2xx': 1190, '3xx': 0, '4xx': 8, '5xx': 2 },
      errorRate: 0.0017,
      p50Ms: 3.2,
      p95Ms: 11.5,
      meanMs: 4.1,
      processTypes: { web: { processes: 2, restarts: 0, cpuAvg: 0.02, cpuMax: 0.11, memoryAvgBytes: 41943040, memoryMaxBytes: 44040192 } },
      samples: 240,
    },
  ],
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;

export const timelineSchema = {
  type: 'object',
  properties: {
    app: { type: 'string' },
    intervalSeconds: { type: 'number', description: 'seconds between samples (YB_METRICS_INTERVAL)' },
    points: {
      type: 'array',
      description: 'one entry per interval between two samples of the last hour, oldest first',
      items: {
        type: 'object',
        properties: {
          t: { type: 'string', description: 'end of the interval' },
          seconds: { type: 'number' },
          rps: { ...nullableNumber, description: 'requests per second (null: no router reading)' },
          byClass: { type: ['object', 'null'], additionalProperties: { type: 'integer' } },
          p50Ms: nullableNumber,
          p95Ms: nullableNumber,
          p99Ms: nullableNumber,
          types: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: { cpu: { type: 'number', description: 'cores' }, memoryBytes: { type: 'integer' }, processes: { type: 'integer' } },
            },
          },
        },
      },
    },
  },
} as const;

export function registerMetrics(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of the control plane (text exposition; admin token)',
        description:
          "Build and deploy durations, build queue, deploys in progress, per-app CPU, memory, restarts and processes by process type (sampled every YB_METRICS_INTERVAL seconds), log lines. Request metrics per app are on the router's admin listener (YB_ROUTER_ADMIN_ADDR)/metrics.",
        produces: ['text/plain'],
        response: { 200: { type: 'string' } },
      },
    },
    async (req, reply) => {
      if (!currentUser(req).admin) throw new YbError('YB_ERR_FORBIDDEN', 'only admins may read the platform metrics');
      if (!ctx.metrics) throw new YbError('YB_ERR_INTERNAL', 'metrics are not enabled on this control plane');
      const { contentType, body } = await ctx.metrics.platform.render();
      return reply.type(contentType).send(body);
    },
  );

  api.get(
    '/apps/:app/metrics',
    {
      schema: {
        summary: 'Last hour of an app: requests, error rate, p50/p95 latency, CPU and memory per process type',
        params: appParams,
        response: { 200: summarySchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      if (!ctx.metrics) throw new YbError('YB_ERR_INTERNAL', 'metrics are not enabled on this control plane');
      return ctx.metrics.sampler.summary(app.name);
    },
  );

  api.get(
    '/apps/:app/metrics/timeline',
    {
      schema: {
        summary: 'Last hour of an app per sampling interval: requests/s, status classes, p50/p95/p99 latency, CPU and memory per process type',
        params: appParams,
        response: { 200: timelineSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      if (!ctx.metrics) throw new YbError('YB_ERR_INTERNAL', 'metrics are not enabled on this control plane');
      return ctx.metrics.sampler.timeline(app.name);
    },
  );
}

// The shapes the console reads, taken from the generated API schema where the API documents them.
import type { paths } from './schema';

type Ok<P extends keyof paths, M extends 'get' | 'post' | 'patch', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type App = Ok<'/apps', 'get', 200>[number];
export type Team = Ok<'/teams', 'get', 200>[number];
export type Dyno = Ok<'/apps/{app}/dynos', 'get', 200>[number];
export type Formation = Ok<'/apps/{app}/formation', 'get', 200>[number];
export type Release = Ok<'/apps/{app}/releases', 'get', 200>[number];
export type Session = Ok<'/session', 'get', 200>;
export type ConfigVars = Record<string, string>;
export type Maintenance = Ok<'/apps/{app}/maintenance', 'get', 200>;
export type CronJob = Ok<'/apps/{app}/cron', 'get', 200>[number];
export type Mount = Ok<'/apps/{app}/storage', 'get', 200>[number];

/** One event of GET /apps/{app}/deploys/live (src/api/deploy-watch.ts). */
export type DeployEvent = { type: 'start'; at: string } | { type: 'line'; text: string } | { type: 'end'; ok: boolean };
export type MetricsTimeline = Ok<'/apps/{app}/metrics/timeline', 'get', 200>;
export type Domain = Ok<'/apps/{app}/domains', 'get', 200>[number];
export type Certificate = Ok<'/apps/{app}/sni-endpoints', 'get', 200>[number];
export type HttpsOnly = Ok<'/apps/{app}/https-only', 'get', 200>;
export type LogDrain = Ok<'/apps/{app}/log-drains', 'get', 200>[number];

// /storage and /apps/{app}/storage: persistent volumes of a team (src/storage/) and where apps mount them. Another
// team's volume answers as a missing one; a volume is removed only by its own DELETE, never while an app mounts it.
// Mounting or unmounting rolls the app's processes out again (the only way a container gets a new mount).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser, mayOnTeam } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import type { Action } from '../../auth/access.js';
import { DEFAULT_TEAM } from '../../auth/tokens.js';
import { YbError } from '../../shared/errors.js';
import { checkMountPath, checkVolumeName, type MountRecord, type VolumeRecord } from '../../storage/storage.js';

const volumeParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } } as const;
const mountParams = {
  type: 'object',
  required: ['app', 'volume'],
  properties: { app: appParams.properties.app, volume: { type: 'string', maxLength: 64 } },
} as const;
const mountSchema = {
  type: 'object',
  properties: { app: { type: 'string' }, volume: { type: 'string' }, path: { type: 'string' }, types: { type: 'array', items: { type: 'string' } } },
} as const;
const volumeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    team: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    bytes: { type: ['number', 'null'] },
    mounts: { type: 'array', items: mountSchema },
  },
} as const;

/** Every app's mounts, by volume (one pass over the apps however many volumes are shown). */
async function mountsByVolume(ctx: ApiContext): Promise<Map<string, Array<MountRecord & { app: string }>>> {
  const out = new Map<string, Array<MountRecord & { app: string }>>();
  for (const app of await ctx.apps.listApps()) {
    for (const e of await ctx.store.list<MountRecord>(ctx.store.keys.mountsPrefix(app.name))) {
      const list = out.get(e.value.volume) ?? [];
      list.push({ ...e.value, app: app.name });
      out.set(e.value.volume, list);
    }
  }
  return out;
}

/** The named volume when the caller may do `action` on its team; 404 when they may not even read it. */
async function volumeFor(ctx: ApiContext, req: FastifyRequest, name: string, action: Action): Promise<VolumeRecord> {
  const user = currentUser(req);
  const v = await ctx.store.get<VolumeRecord>(ctx.store.keys.volume(name));
  if (!v || !(await mayOnTeam(ctx, user, v.team, 'read'))) throw new YbError('YB_ERR_NOT_FOUND', `no volume named "${name.slice(0, 64)}"`);
  if (!(await mayOnTeam(ctx, user, v.team, action))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow ${action} on ${v.name}`);
  return v;
}

export function registerStorage(api: FastifyInstance, ctx: ApiContext): void {
  /** The volumes as shown: sizes from one look at the runtime (none when it cannot tell), mounts per volume. */
  const views = async (volumes: VolumeRecord[]) => {
    const sizes = await ctx.runtime.storageSizes(volumes.map((v) => v.name)).catch(() => new Map<string, number>());
    const mounts = await mountsByVolume(ctx);
    return volumes.map((v) => ({ ...v, bytes: sizes.get(v.name) ?? null, mounts: mounts.get(v.name) ?? [] }));
  };

  api.get(
    '/storage',
    { schema: { summary: 'Volumes of your teams, with their size and mounts', response: { 200: { type: 'array', items: volumeSchema } } } },
    async (req) => {
      const user = currentUser(req);
      const visible = [];
      for (const e of await ctx.store.list<VolumeRecord>(ctx.store.keys.volumesPrefix())) {
        if (await mayOnTeam(ctx, user, e.value.team, 'read')) visible.push(e.value);
      }
      return views(visible);
    },
  );

  api.post(
    '/storage',
    {
      schema: {
        summary: "Create a persistent volume for a team's apps",
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 64 }, team: { type: 'string', maxLength: 64 } },
        },
        response: { 201: volumeSchema },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const body = req.body as { name: string; team?: string };
      const name = checkVolumeName(body.name);
      const team = body.team ?? DEFAULT_TEAM;
      if (!(await mayOnTeam(ctx, user, team, 'manage'))) throw new YbError('YB_ERR_FORBIDDEN', `you cannot create volumes in team "${team.slice(0, 64)}"`);
      const rec: VolumeRecord = { name, team, createdAt: new Date().toISOString(), createdBy: user.name };
      if (!(await ctx.store.create(ctx.store.keys.volume(name), rec))) throw new YbError('YB_ERR_CONFLICT', `a volume named ${name} already exists`);
      try {
        await ctx.runtime.createStorage(name);
      } catch (err) {
        await ctx.store.delete(ctx.store.keys.volume(name)); // nothing half-made stays behind
        throw err;
      }
      return reply.code(201).send((await views([rec]))[0]);
    },
  );

  api.delete('/storage/:name', { schema: { summary: 'Destroy a volume and its data (refused while an app mounts it)', params: volumeParams } }, async (req) => {
    const v = await volumeFor(ctx, req, (req.params as { name: string }).name, 'manage');
    const mounts = (await mountsByVolume(ctx)).get(v.name) ?? [];
    if (mounts.length)
      throw new YbError(
        'YB_ERR_CONFLICT',
        `${v.name} is mounted by ${mounts.map((m) => m.app).join(', ')}; unmount it first (yb storage:unmount ${v.name} -a APP)`,
      );
    await ctx.runtime.removeStorage(v.name);
    await ctx.store.delete(ctx.store.keys.volume(v.name));
    return { name: v.name, destroyed: true };
  });

  api.get(
    '/apps/:app/storage',
    { schema: { summary: "The app's mounted volumes", params: appParams, response: { 200: { type: 'array', items: mountSchema } } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return (await ctx.store.list<MountRecord>(ctx.store.keys.mountsPrefix(app.name))).map((e) => ({ ...e.value, app: app.name }));
    },
  );

  api.put(
    '/apps/:app/storage/:volume',
    {
      schema: {
        summary: "Mount a volume of the app's team into its processes (and one-offs) at a path, then roll them out",
        params: mountParams,
        body: {
          type: 'object',
          required: ['path'],
          additionalProperties: false,
          properties: {
            path: { type: 'string', maxLength: 200 },
            types: { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,29}$' } },
          },
        },
        response: { 200: mountSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const { volume } = req.params as { volume: string };
      const v = await volumeFor(ctx, req, volume, 'read');
      if (v.team !== app.team) throw new YbError('YB_ERR_NOT_FOUND', `no volume named "${volume.slice(0, 64)}" in team ${app.team}`);
      const body = req.body as { path: string; types?: string[] };
      const path = checkMountPath(body.path);
      const others = await ctx.store.list<MountRecord>(ctx.store.keys.mountsPrefix(app.name));
      const clash = others.find((e) => e.value.volume !== v.name && e.value.path === path);
      if (clash) throw new YbError('YB_ERR_CONFLICT', `${clash.value.volume} is already mounted at ${path} in ${app.name}`);
      const rec: MountRecord = { volume: v.name, path, ...(body.types?.length ? { types: [...new Set(body.types)] } : {}) };
      await ctx.store.put(ctx.store.keys.mount(app.name, v.name), rec);
      if (app.currentRelease && !app.stopped) await ctx.deployer.restart(app.name, undefined, () => undefined);
      return { ...rec, app: app.name };
    },
  );

  api.delete(
    '/apps/:app/storage/:volume',
    { schema: { summary: 'Unmount a volume from the app (its data stays) and roll its processes out', params: mountParams } },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const { volume } = req.params as { volume: string };
      const key = ctx.store.keys.mount(app.name, volume);
      if (!(await ctx.store.get<MountRecord>(key))) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} does not mount a volume named "${volume.slice(0, 64)}"`);
      await ctx.store.delete(key);
      if (app.currentRelease && !app.stopped) await ctx.deployer.restart(app.name, undefined, () => undefined);
      return { app: app.name, volume, unmounted: true };
    },
  );
}

// Service images (yunbang/svc-<kind>) from the recipes in images/services/<kind>/ on the stack image. An image
// carries its recipe hash as a label; it is (re)built only when missing or stale — normally by
// scripts/build-images.sh at set-up, lazily here when set-up was skipped or a recipe changed since.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from '../runtime/runtime.js';
import { tarDir } from '../build/context.js';
import { KINDS, type ServiceKind } from './kinds.js';

/** The files of a recipe, in hash order (scripts/build-images.sh `service_hash` hashes the same bytes). */
export const RECIPE_FILES = ['Dockerfile', 'entrypoint'] as const;

/** sha256(stack recipe hash + "\n" + recipe files), first 16 hex digits. Pure. */
export function serviceRecipeHash(stackHash: string, files: readonly (string | Buffer)[]): string {
  const h = createHash('sha256').update(`${stackHash}\n`);
  for (const f of files) h.update(f);
  return h.digest('hex').slice(0, 16);
}

export class ServiceImages {
  private readonly building = new Map<ServiceKind, Promise<string>>();

  constructor(
    private readonly images: ImageStore,
    private readonly recipesDir: string,
    private readonly stackImage: string,
  ) {}

  private async labelOf(ref: string): Promise<string | null> {
    return (await this.images.describe(ref))?.labels['yunbang.recipe'] ?? null;
  }

  async recipeHash(kind: ServiceKind): Promise<string> {
    const stack = await this.labelOf(this.stackImage);
    if (stack === null) throw new Error(`the stack image ${this.stackImage} is missing; run scripts/build-images.sh`);
    const files = await Promise.all(RECIPE_FILES.map((f) => readFile(join(this.recipesDir, kind, f))));
    return serviceRecipeHash(stack, files);
  }

  /** The image reference to run for `kind`, building it first when it is missing or its recipe changed. */
  async ensure(kind: ServiceKind, onLine: (line: string) => void = () => undefined): Promise<string> {
    const pending = this.building.get(kind);
    if (pending) return pending;
    const work = this.ensureNow(kind, onLine).finally(() => this.building.delete(kind));
    this.building.set(kind, work);
    return work;
  }

  private async ensureNow(kind: ServiceKind, onLine: (line: string) => void): Promise<string> {
    const repo = KINDS[kind].image;
    const hash = await this.recipeHash(kind);
    const ref = `${repo}:${hash}`;
    if ((await this.labelOf(`${repo}:latest`)) === hash) return ref;
    if ((await this.labelOf(ref)) !== hash) {
      await this.images.build(
        () => tarDir(join(this.recipesDir, kind), RECIPE_FILES),
        { tag: ref, labels: { 'yunbang.recipe': hash, 'yunbang.owned': 'true' }, buildargs: { STACK: this.stackImage }, classic: true, shared: true },
        onLine,
      );
    }
    await this.images.tag(ref, `${repo}:latest`);
    return ref;
  }
}

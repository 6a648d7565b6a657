// Images for the cluster (docs/architecture.md §6.2): builds stay on the control plane's engine (the builder's
// ImageStore); what a pod runs is that image pushed to the cluster's registry and named by digest, so every node
// pulls the same bytes. Pushes are remembered per image id; the registry skips layers it already has.
import { RuntimeUnavailableError, type ImageStore } from '../runtime.js';

export class ClusterImages {
  readonly host: string;
  private readonly pushed = new Map<string, Promise<string>>();

  constructor(
    private readonly images: ImageStore,
    private readonly instance: string,
    registryUrl: string,
  ) {
    this.host = new URL(/^[a-z]+:\/\//i.test(registryUrl) ? registryUrl : `http://${registryUrl}`).host;
  }

  /** The digest reference nodes pull `ref` by; a reference already in the cluster's registry is kept as is. */
  async forCluster(ref: string): Promise<string> {
    if (ref.startsWith(`${this.host}/`) && /@sha256:[a-f0-9]{64}$/.test(ref)) return ref;
    const id = await this.images.id(ref);
    let pending = this.pushed.get(id);
    if (!pending) {
      pending = this.push(id);
      this.pushed.set(id, pending);
      pending.catch(() => this.pushed.delete(id)); // a failed push is tried again next time
    }
    return pending;
  }

  /** The image's own HEALTHCHECK command (Kubernetes does not run it; the platform does, runtime.ts imageCheck). */
  async healthCommand(ref: string): Promise<string[] | null> {
    return (await this.images.describe(ref).catch(() => null))?.healthCommand ?? null;
  }

  private async push(id: string): Promise<string> {
    const hex = id.replace(/^sha256:/, '').slice(0, 32);
    const repo = `${this.host}/${this.instance.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}/run`;
    const tag = `${repo}:${hex}`;
    await this.images.tag(id, tag);
    try {
      const digest = await this.images
        .push(tag, () => undefined)
        .catch((err: unknown) => {
          throw new RuntimeUnavailableError(`cannot push the image to the cluster's registry at ${this.host} (YB_REGISTRY_URL): ${(err as Error).message}`, {
            cause: err,
          });
        });
      return `${repo}@${digest}`;
    } finally {
      await this.images.remove(tag);
    }
  }
}

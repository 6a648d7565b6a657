// The Docker backend's team networks: one bridge per team, `<instance>-team-<team>`, labelled as the instance's.
// Docker does not keep network names unique (two creates racing both succeed, and a container started "on" that
// name then fails as ambiguous), so creations of one name are serialised here, and duplicates found (from a race
// before this was so) are reduced to the oldest.
import type { DockerEngine } from './engine.js';
import { LABEL_INSTANCE, LABEL_TEAM } from '../workload-labels.js';

export class DockerNetworks {
  /** Creations in flight, by name. */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly engine: DockerEngine,
    private readonly instance: string,
  ) {}

  /** The team's network, created when missing; resolves to its name. */
  async ensure(team: string): Promise<string> {
    const name = `${this.instance}-team-${team}`;
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.createOnce(name, { [LABEL_TEAM]: team }).finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    await pending;
    return name;
  }

  private async createOnce(name: string, labels: Record<string, string>): Promise<void> {
    const docker = this.engine.docker;
    const same = (await this.engine.call(() => docker.listNetworks({ filters: { name: [name] } }))).filter((n) => n.Name === name);
    if (same.length > 1) {
      same.sort((a, b) => a.Created.localeCompare(b.Created));
      for (const extra of same.slice(1)) {
        const info = await docker
          .getNetwork(extra.Id)
          .inspect()
          .catch(() => undefined);
        if (info && Object.keys(info.Containers ?? {}).length === 0)
          await docker
            .getNetwork(extra.Id)
            .remove()
            .catch(() => undefined);
      }
    }
    if (same.length > 0) return;
    await this.engine.tolerate(
      () => docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_INSTANCE]: this.instance, ...labels } }),
      [409],
      undefined,
    );
  }

  /** Removes this instance's networks that no workload uses any more. */
  async removeAll(): Promise<void> {
    const nets = await this.engine.call(() => this.engine.docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${this.instance}`] } }));
    for (const n of nets)
      await this.engine.docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined); // still in use: it stays
  }
}

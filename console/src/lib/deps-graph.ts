// Layout of an app's dependency graph: the apps depending on it on the left, the app in the middle, the apps and
// services it depends on on the right; one edge per dependency. Pure: no DOM (unit-tested from the root).

export type NodeKind = 'self' | 'app' | 'service';
export interface GraphNode {
  id: string;
  label: string;
  kind: NodeKind;
  x: number;
  y: number;
}
export interface GraphEdge {
  from: string;
  to: string;
}

export const NODE_W = 160;
export const NODE_H = 36;
const GAP = 16;
const COL = [0, 240, 480];

/** Nodes with positions (top-left corners), edges, and the drawing's size. */
export function layoutDeps(
  app: string,
  dependents: string[],
  apps: string[],
  services: Array<{ name: string; kind: string }>,
): { nodes: GraphNode[]; edges: GraphEdge[]; width: number; height: number } {
  const right: Array<Omit<GraphNode, 'x' | 'y'>> = [
    ...apps.map((a) => ({ id: `app:${a}`, label: a, kind: 'app' as const })),
    ...services.map((s) => ({ id: `service:${s.name}`, label: `${s.name} (${s.kind})`, kind: 'service' as const })),
  ];
  const left = dependents.map((a) => ({ id: `dependent:${a}`, label: a, kind: 'app' as const }));
  const rows = Math.max(1, left.length, right.length);
  const height = rows * (NODE_H + GAP) - GAP;
  const column = (items: Array<Omit<GraphNode, 'x' | 'y'>>, x: number) => {
    const top = (height - (items.length * (NODE_H + GAP) - GAP)) / 2;
    return items.map((n, i) => ({ ...n, x, y: top + i * (NODE_H + GAP) }));
  };
  const self: GraphNode = { id: `self:${app}`, label: app, kind: 'self', x: COL[1]!, y: (height - NODE_H) / 2 };
  const nodes = [...column(left, COL[0]!), self, ...column(right, COL[2]!)];
  const edges = [...left.map((n) => ({ from: n.id, to: self.id })), ...right.map((n) => ({ from: self.id, to: n.id }))];
  return { nodes, edges, width: COL[2]! + NODE_W, height };
}

// Cycles among app dependencies (allowed, but shown to users). Pure.

/** Every elementary cycle through `start` in the graph `edges` (app → the apps it depends on), as paths ending at `start`. */
export function cyclesThrough(start: string, edges: ReadonlyMap<string, readonly string[]>, limit = 20): string[][] {
  const out: string[][] = [];
  const path = [start];
  const onPath = new Set(path);
  const walk = (node: string): void => {
    for (const next of edges.get(node) ?? []) {
      if (out.length >= limit) return;
      if (next === start) {
        out.push([...path, start]);
        continue;
      }
      if (onPath.has(next)) continue;
      path.push(next);
      onPath.add(next);
      walk(next);
      onPath.delete(next);
      path.pop();
    }
  };
  walk(start);
  return out;
}

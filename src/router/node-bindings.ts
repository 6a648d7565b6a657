// Node's internal bindings, looked up once by the modules of the router's hot path that use them (socket-writer.ts,
// tls-reads.ts; docs/architecture.md, "Node internals on the hot path"). `process.binding` is deprecated in
// documentation only (a warning with --pending-deprecation); each caller checks the shape of what it gets.

/** The internal binding `name`, or undefined where the runtime has none (another runtime, a Node without it). */
export function internalBinding(name: string): Record<string, unknown> | undefined {
  const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
  if (typeof binding !== 'function') return undefined;
  try {
    return binding(name);
  } catch {
    return undefined; // e.g. Bun: "process.binding(...) is not implemented"
  }
}

// Platform events of an app (`yb[deploy]: Release v3 created by admin …`): the deploy spine and the scheduler
// report them with one call; ybd connects the sinks (the log hub, deploy metrics). Nothing is kept here.

export interface EventMeta {
  /** Marks the start and end of a deploy, for the deploy duration metric and the queue gauge. */
  deploy?: 'started' | 'succeeded' | 'failed';
}

export type EventSink = (app: string, proc: string, message: string, meta: EventMeta) => void;

const sinks = new Set<EventSink>();

/** Connects a sink; returns the function that disconnects it. */
export function onPlatformEvent(sink: EventSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/** Reports an event of `app` as `yb[proc]: message`. Never throws: a broken sink must not fail a deploy. */
export function platformEvent(app: string, proc: string, message: string, meta: EventMeta = {}): void {
  for (const s of sinks) {
    try {
      s(app, proc, message, meta);
    } catch (err) {
      process.emitWarning(`platform event sink failed: ${(err as Error).message}`);
    }
  }
}

// A bounded background load through the router (keep-alive and fresh connections) that counts every failed
// or non-2xx response, for zero-downtime tests. Traffic goes to 127.0.0.1 only.
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  failures: number;
  samples: string[];
  bodies: Map<string, number>;
}

export interface Load {
  stop(): Promise<LoadResult>;
  result: LoadResult;
}

function once(port: number, host: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Starts `keepAlive` + `fresh` request loops against host via the router on `port`; at most `maxSeconds`. */
export function startLoad(port: number, host: string, opts: { keepAlive?: number; fresh?: number; maxSeconds?: number; pauseMs?: number } = {}): Load {
  const result: LoadResult = { requests: 0, failures: 0, samples: [], bodies: new Map() };
  const deadline = Date.now() + (opts.maxSeconds ?? 600) * 1000;
  let running = true;
  const agent = new Agent({ keepAlive: true, maxSockets: opts.keepAlive ?? 4 });
  const loop = async (a: Agent | false) => {
    while (running && Date.now() < deadline) {
      try {
        const r = await once(port, host, a);
        result.requests++;
        const key = r.body.slice(0, 60);
        result.bodies.set(key, (result.bodies.get(key) ?? 0) + 1);
        if (r.status < 200 || r.status >= 300) {
          result.failures++;
          if (result.samples.length < 10) result.samples.push(`${r.status} ${r.body.slice(0, 120)}`);
        }
      } catch (err) {
        result.requests++;
        result.failures++;
        if (result.samples.length < 10) result.samples.push(`error ${(err as Error).message}`);
      }
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  const loops = [...Array.from({ length: opts.keepAlive ?? 4 }, () => loop(agent)), ...Array.from({ length: opts.fresh ?? 2 }, () => loop(false))];
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}

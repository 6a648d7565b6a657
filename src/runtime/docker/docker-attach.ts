// `yb run` on the Docker backend: a one-off container attached to the caller (runtime.ts `Attachment`), with the
// engine's multiplexed output split into stdout and stderr (or one TTY stream), and flow control both ways.
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Attachment } from '../runtime.js';
import type { DockerEngine } from './engine.js';

/** Wraps an attached, created (not started) container. */
export async function attachContainer(engine: DockerEngine, container: Docker.Container, tty: boolean, memoryLimitBytes: number): Promise<Attachment> {
  const raw = (await engine.call(() => container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }))) as unknown as Duplex;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const handlers: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];
  if (tty) raw.on('data', (d: Buffer) => handlers.forEach((h) => h('stdout', d)));
  else {
    container.modem.demuxStream(raw, stdout, stderr);
    stdout.on('data', (d: Buffer) => handlers.forEach((h) => h('stdout', d)));
    stderr.on('data', (d: Buffer) => handlers.forEach((h) => h('stderr', d)));
  }
  const ended = new Promise<void>((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
  });
  return {
    memoryLimitBytes,
    onOutput: (h) => handlers.push(h),
    // Pausing the attach stream itself holds the process's writes (demuxing reads it as it flows).
    pauseOutput: () => raw.pause(),
    resumeOutput: () => raw.resume(),
    outputEnded: ended,
    write: (data) => raw.write(data),
    onceDrained: (cb) => raw.once('drain', cb),
    endInput: () => raw.end(),
    start: () => engine.call(() => container.start()).then(() => undefined),
    resize: (cols, rows) => container.resize({ w: cols, h: rows }).then(() => undefined),
    wait: async () => ((await container.wait()) as { StatusCode: number }).StatusCode,
    kill: () => container.kill().then(() => undefined),
    oomKilled: async () => (await container.inspect().catch(() => null))?.State.OOMKilled === true,
    remove: () => container.remove({ force: true }).then(() => undefined),
  };
}

// run: a one-off process of the app's current release, attached to this terminal; exits with its exit code.
import type { Command } from 'commander';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from '../client.js';
import { apiToken, apiUrl } from '../credentials.js';
import { requireApp, enc } from '../app-arg.js';
import { FRAME, FrameDecoder, frame } from '../../shared/run-frames.js';
import { codeFromId, ERRORS } from '../../shared/errors.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<command...>', 'the command line to run')
    .description('run a one-off process (interactive when stdin is a terminal)')
    .option('-a, --app <app>')
    .option('--no-tty', 'never allocate a terminal')
    .addHelpText('after', '\nExamples:\n  yb run -a hello -- node -e "console.log(process.version)"\n  yb run -a hello bash')
    .action(async (words: string[], opts: { app?: string; tty: boolean }) => {
      const app = requireApp(opts.app);
      const tty = opts.tty && process.stdin.isTTY === true && process.stdout.isTTY === true;
      const code = await attach(app, words.join(' '), tty);
      // Killed from outside (the app destroyed or stopped, out of memory): the process itself said nothing, so say it.
      if (code === 137 || code === 143)
        process.stderr.write(
          `yb run: the process was ended by a signal (exit code ${code}); ${app} may have been stopped or destroyed, or the process ran out of memory\n`,
        );
      else if (code === 255) process.stderr.write('yb run: the connection to the platform closed before the process ended (exit code 255)\n');
      process.exit(code);
    });
}

function attach(app: string, command: string, tty: boolean): Promise<number> {
  const base = new URL(apiUrl());
  const q = new URLSearchParams({
    command,
    tty: tty ? '1' : '0',
    cols: String(process.stdout.columns ?? 0),
    rows: String(process.stdout.rows ?? 0),
    term: process.env.TERM ?? 'xterm',
  });
  const token = apiToken(base.origin);
  const make = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make({
      host: base.hostname,
      port: base.port,
      path: `/apps/${enc(app)}/dynos/attach?${q}`,
      headers: { connection: 'Upgrade', upgrade: 'yb-run', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    req.on('error', (err) =>
      reject(
        new CliError(`the Yunbang API is not reachable at ${base.origin}`, ERRORS.YB_ERR_API_UNREACHABLE.exit, 'start the platform with "npm start"', {
          cause: err,
        }),
      ),
    );
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        let e: { id?: string; message?: string } = {};
        try {
          e = JSON.parse(body) as typeof e;
        } catch {
          e = { message: `HTTP ${res.statusCode}` };
        }
        const codeName = e.id ? codeFromId(e.id) : undefined;
        reject(new CliError(e.message ?? `HTTP ${res.statusCode}`, codeName ? ERRORS[codeName].exit : 1));
      });
    });
    req.on('upgrade', (_res, socket, head) => {
      const decoder = new FrameDecoder(16 * 1024 * 1024);
      let exit = 255;
      const restore = () => {
        if (tty && process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      };
      const onFrames = (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) {
          if (f.type === FRAME.STDOUT) process.stdout.write(f.payload);
          else if (f.type === FRAME.STDERR) process.stderr.write(f.payload);
          else if (f.type === FRAME.EXIT) exit = Number(f.payload.toString());
        }
      };
      if (head.length) onFrames(head);
      socket.on('data', onFrames);
      socket.on('close', () => {
        restore();
        resolve(exit);
      });
      if (tty) {
        process.stdin.setRawMode(true);
        process.stdout.on('resize', () => socket.write(frame(FRAME.RESIZE, `${process.stdout.columns},${process.stdout.rows}`)));
      }
      process.stdin.on('data', (d: Buffer) => socket.write(frame(FRAME.STDIN, d)));
      process.stdin.on('end', () => socket.write(frame(FRAME.STDIN_END)));
      process.stdin.resume();
    });
    req.end();
  });
}

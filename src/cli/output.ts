// CLI output helpers: aligned tables, JSON mode, colour only on a TTY, and a spinner for silent waits.
export const isTty = process.stdout.isTTY === true;
const useColour = isTty && !process.env.NO_COLOR;

export const c = {
  bold: (s: string) => (useColour ? `\x1b[1m${s}\x1b[22m` : s),
  dim: (s: string) => (useColour ? `\x1b[2m${s}\x1b[22m` : s),
  green: (s: string) => (useColour ? `\x1b[32m${s}\x1b[39m` : s),
  red: (s: string) => (useColour ? `\x1b[31m${s}\x1b[39m` : s),
  yellow: (s: string) => (useColour ? `\x1b[33m${s}\x1b[39m` : s),
};

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  print(c.bold(fmt(headers)));
  for (const r of rows) print(fmt(r));
}

/** Shows `label` with a spinner (on a TTY; a single line otherwise) while `work` runs; prints the outcome. */
export async function withSpinner<T>(label: string, work: Promise<T>, done: (v: T) => string = () => 'done'): Promise<T> {
  const started = Date.now();
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = isTty ? setInterval(() => process.stderr.write(`\r${frames[i++ % frames.length]} ${label}`), 80) : undefined;
  if (!isTty) process.stderr.write(`${label}...\n`);
  try {
    const v = await work;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (timer) process.stderr.write(`\r\x1b[K`);
    process.stderr.write(`${isTty ? c.green('✓') + ' ' + label + ', ' : ''}${done(v)} (${secs} s)\n`);
    return v;
  } catch (err) {
    if (timer) process.stderr.write(`\r\x1b[K${c.red('✗')} ${label}\n`);
    throw err;
  } finally {
    if (timer) clearInterval(timer);
  }
}

// Examples in every command's --help: commands registered without an "Examples:" section get one made from
// their usage (arguments in capitals, -a APP when they act on an app), so `yb X --help` always shows one.
import type { Command } from 'commander';

/** An example invocation built from a command's usage. Pure. */
export function exampleFor(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => {
    const name = a.name().toUpperCase().replace(/-/g, '_');
    return a.required ? (a.variadic ? `${name}...` : name) : `[${name}]`;
  });
  const app = cmd.options.some((o) => o.long === '--app') ? ['-a hello'] : [];
  return ['yb', cmd.name(), ...args, ...app].join(' ');
}

function hasExamples(cmd: Command): boolean {
  const e = cmd as unknown as { listenerCount(event: string): number }; // a Command is an EventEmitter; addHelpText listens on these
  return e.listenerCount('afterHelp') > 0 || e.listenerCount('afterAllHelp') > 0;
}

/** Adds an Examples section to every command that has none; returns the names of the commands it changed. */
export function addMissingExamples(program: Command): string[] {
  const changed: string[] = [];
  for (const cmd of program.commands) {
    if (hasExamples(cmd)) continue;
    const lines = [exampleFor(cmd)];
    if (cmd.options.some((o) => o.long === '--json')) lines.push(`${lines[0]} --json`);
    cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    changed.push(cmd.name());
  }
  return changed;
}

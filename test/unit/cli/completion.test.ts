import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { bashCompletion, commandSpecs, zshCompletion } from '../../../src/cli/commands/completion.js';
import { addMissingExamples, exampleFor } from '../../../src/cli/help-examples.js';

function program(): Command {
  const p = new Command('yb');
  p.command('logs').description('show logs').option('-a, --app <app>').option('--source <s>').option('-t, --tail');
  p.command('logs:drains').description('x').option('-a, --app <app>');
  p.command('config:get').argument('<key>').description('one var').option('-a, --app <app>').option('--json');
  p.command('apps:create').argument('<name>').description('create').addHelpText('after', '\nExample:\n  yb apps:create hello');
  return p;
}

/** Runs the bash completion function for a command line (cursor at its end) and returns the candidates. */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const bash = `${script}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}
_yb_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', bash], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

test('specs list every command with its options', () => {
  const specs = commandSpecs(program());
  assert.deepEqual(
    specs.map((s) => s.name),
    ['apps:create', 'config:get', 'logs', 'logs:drains'],
  );
  assert.deepEqual(specs.find((s) => s.name === 'logs')!.options, ['--app', '-a', '--source', '--tail', '-t', '--help']);
});

test('bash completes commands (with colons) and their options', () => {
  const script = bashCompletion(commandSpecs(program()));
  assert.deepEqual(complete(script, 'yb lo'), ['logs', 'logs:drains']);
  assert.deepEqual(complete(script, 'yb logs --s'), ['--source']);
  assert.deepEqual(complete(script, 'yb config:get --'), ['--app', '--help', '--json']);
});

test('zsh script describes commands with escaped colons', () => {
  const z = zshCompletion(commandSpecs(program()));
  assert.match(z, /^#compdef yb/);
  assert.match(z, /'config\\:get:one var'/);
  assert.match(z, /config\\:get\) _arguments/);
});

test('every command gets examples in --help; explicit ones are kept', () => {
  const p = program();
  assert.deepEqual(addMissingExamples(p), ['logs', 'logs:drains', 'config:get']);
  assert.equal(exampleFor(p.commands.find((c) => c.name() === 'config:get')!), 'yb config:get KEY -a hello');
  const help = (name: string) => {
    let out = '';
    const cmd = p.commands.find((c) => c.name() === name)!;
    cmd.configureOutput({ writeOut: (s) => (out += s) });
    cmd.outputHelp();
    return out;
  };
  assert.match(help('config:get'), /Examples:\n {2}yb config:get KEY -a hello\n {2}yb config:get KEY -a hello --json/);
  assert.match(help('apps:create'), /Example:\n {2}yb apps:create hello/);
  assert.doesNotMatch(help('apps:create'), /Examples:/);
});

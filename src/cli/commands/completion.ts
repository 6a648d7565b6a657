// completion: shell completion scripts for bash and zsh, generated from the command tree itself (so new
// commands complete without editing this file); app names after -a/--app come from `yb apps --json`.
import type { Command } from 'commander';
import { CliError } from '../client.js';

export interface CommandSpec {
  name: string;
  description: string;
  options: string[];
}

/** Every command with its long and short options, sorted. Pure. */
export function commandSpecs(program: Command): CommandSpec[] {
  return program.commands
    .filter((cmd) => !(cmd as unknown as { _hidden?: boolean })._hidden)
    .map((cmd) => ({
      name: cmd.name(),
      description: cmd.description().split('\n')[0]!,
      options: [...cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x)), '--help'],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const APPS = `yb apps --json 2>/dev/null | sed -n 's/^    "name": "\\(.*\\)",$/\\1/p'`;

export function bashCompletion(specs: CommandSpec[]): string {
  const cases = specs.map((s) => `    ${s.name}) opts="${s.options.join(' ')}" ;;`).join('\n');
  return `# bash completion for yb (Yunbang). Load it with:  source <(yb completion bash)
_yb_complete() {
  local cur prev cmd opts
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # commands contain ":"; complete whole words whatever COMP_WORDBREAKS says
  cur="\${COMP_LINE:0:COMP_POINT}"; cur="\${cur##* }"
  if [ "$COMP_CWORD" -le 1 ] || [[ "$cur" != -* && "\${COMP_WORDS[1]}" == "$cur" ]]; then
    COMPREPLY=( $(compgen -W "${specs.map((s) => s.name).join(' ')}" -- "$cur") )
    __ltrim_colon_completions "$cur" 2>/dev/null
    return 0
  fi
  if [ "$prev" = "-a" ] || [ "$prev" = "--app" ]; then
    COMPREPLY=( $(compgen -W "$(${APPS})" -- "$cur") )
    return 0
  fi
  cmd="\${COMP_LINE#* }"; cmd="\${cmd%% *}"
  case "$cmd" in
${cases}
    *) opts="--help" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _yb_complete yb
`;
}

const zq = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:').replace(/\[/g, '\\[').replace(/\]/g, '\\]');

export function zshCompletion(specs: CommandSpec[]): string {
  const cmds = specs.map((s) => `    '${zq(s.name)}:${zq(s.description)}'`).join('\n');
  const cases = specs
    .map(
      (s) =>
        `    ${s.name.replace(/:/g, '\\:')}) _arguments ${s.options.map((o) => (o === '-a' || o === '--app' ? `'${o}[app]:app:_yb_apps'` : `'${o}'`)).join(' ')} '*:file:_files' ;;`,
    )
    .join('\n');
  return `#compdef yb
# zsh completion for yb (Yunbang). Load it with:  source <(yb completion zsh)   (after compinit)
_yb_apps() {
  local -a apps
  apps=(\${(f)"$(${APPS})"})
  _describe 'app' apps
}
_yb() {
  local -a commands
  commands=(
${cmds}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'yb command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _yb yb
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .argument('<shell>', 'bash or zsh')
    .description('print a shell completion script for bash or zsh')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  source <(yb completion bash)                          # this shell only',
        '  yb completion bash > /etc/bash_completion.d/yb         # every bash',
        "  echo 'source <(yb completion zsh)' >> ~/.zshrc          # zsh, after compinit",
      ].join('\n'),
    )
    .action((shell: string) => {
      const specs = commandSpecs(program);
      if (shell === 'bash') process.stdout.write(bashCompletion(specs));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(specs));
      else throw new CliError(`no completion for "${shell}"`, 2, 'use: yb completion bash, or yb completion zsh');
    });
}

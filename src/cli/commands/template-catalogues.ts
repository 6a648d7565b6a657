// templates:catalogues, templates:catalogues:add, :refresh, :remove: third-party template catalogues by git URL
// (docs/architecture.md §5.3); any user lists them, administrators change them.
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface Catalogue {
  name: string;
  url: string;
  ref: string;
  commit: string;
  fetchedAt: string;
  templates: string[];
  refused: Array<{ template: string; reason: string }>;
  output?: string[];
}

function show(cat: Catalogue, json?: boolean): void {
  if (json) return printJson(cat);
  for (const line of cat.output ?? []) print(line);
  print(`${c.bold(cat.name)} pinned at ${cat.commit.slice(0, 12)}: ${cat.templates.map((t) => `${cat.name}/${t}`).join(', ') || 'no templates'}`);
}

export function registerTemplateCatalogues(program: Command): void {
  program
    .command('templates:catalogues')
    .description('third-party template catalogues: URL, pinned commit, templates and the ones refused')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb templates:catalogues')
    .action(async (opts: { json?: boolean }) => {
      const list = await get<Catalogue[]>('/templates/catalogues');
      if (opts.json) return printJson(list);
      table(
        ['NAME', 'URL', 'REF', 'COMMIT', 'TEMPLATES', 'REFUSED'],
        list.map((t) => [
          t.name,
          t.url,
          t.ref || 'HEAD',
          t.commit.slice(0, 12),
          t.templates.join(', ') || '-',
          t.refused.map((r) => `${r.template}: ${r.reason}`).join('; ') || '-',
        ]),
      );
    });

  program
    .command('templates:catalogues:add')
    .argument('<name>', 'catalogue name (its templates are listed as NAME/TEMPLATE)')
    .argument('<url>', 'git repository laid out like templates/ (https://, git://; a read token as the password if private)')
    .description('add a third-party template catalogue (administrators); fetched once and pinned to the commit')
    .option('--ref <ref>', 'branch, tag or commit to fetch (the remote HEAD by default)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  yb templates:catalogues:add community https://git.example.org/yb-templates.git --ref v1\n  yb apps:create blog --template community/static-blog',
    )
    .action(async (name: string, url: string, opts: { ref?: string; json?: boolean }) => {
      const { data } = await request<Catalogue>('POST', '/templates/catalogues', { body: { name, url, ...(opts.ref ? { ref: opts.ref } : {}) } });
      show(data, opts.json);
    });

  program
    .command('templates:catalogues:refresh')
    .argument('<name>', 'catalogue name')
    .description("fetch a catalogue's ref again and pin the new commit (administrators)")
    .option('--url <url>', 'the URL again, with its credentials (a private catalogue: they are never kept)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb templates:catalogues:refresh community')
    .action(async (name: string, opts: { url?: string; json?: boolean }) => {
      const { data } = await request<Catalogue>('POST', `/templates/catalogues/${enc(name)}/refreshes`, { body: opts.url ? { url: opts.url } : {} });
      show(data, opts.json);
    });

  program
    .command('templates:catalogues:remove')
    .argument('<name>', 'catalogue name')
    .description('remove a template catalogue (administrators); apps deployed from it keep running')
    .addHelpText('after', '\nExamples:\n  yb templates:catalogues:remove community')
    .action(async (name: string) => {
      await request('DELETE', `/templates/catalogues/${enc(name)}`);
      print(`Removed template catalogue ${name}`);
    });
}

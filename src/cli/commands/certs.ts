// certs, certs:add, certs:remove, certs:https-only: TLS certificates for an app's hosts (served by the router's
// HTTPS listener by SNI) and the per-app HTTP → HTTPS redirect. Private keys go to the API once and never back.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface Renewal {
  auto: boolean;
  dueFrom?: string;
  renewedAt?: string;
  lastError?: string;
  lastAttemptAt?: string;
}
interface Cert {
  hostname: string;
  names: string[];
  notAfter: string;
  daysLeft: number;
  issuer: string;
  source: string;
  renewal?: Renewal;
}
interface HttpsOnly {
  enabled: boolean;
  hosts: string[];
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
  }
}

/** "auto from DATE", "auto, due now", a failed attempt with its reason, or "manual" for uploaded certificates. */
function renewal(x: Cert): string {
  const r = x.renewal;
  if (!r?.auto) return 'manual (yb certs:add)';
  if (r.lastError)
    return `auto; failed ${r.lastAttemptAt!.slice(0, 16).replace('T', ' ')}: ${r.lastError.length > 60 ? `${r.lastError.slice(0, 59)}…` : r.lastError} (retrying)`;
  const due = r.dueFrom && Date.parse(r.dueFrom) > Date.now() ? `from ${r.dueFrom.slice(0, 10)}` : 'due now';
  return `auto, ${due}${r.renewedAt ? `; renewed ${r.renewedAt.slice(0, 10)}` : ''}`;
}

const expiry = (x: Cert) => `${x.notAfter.slice(0, 10)} (${x.daysLeft < 0 ? 'expired' : `${x.daysLeft} days`})`;

async function setHttpsOnly(app: string, enabled: boolean): Promise<HttpsOnly> {
  return (await request<HttpsOnly>('PUT', `/apps/${enc(app)}/https-only`, { body: { enabled } })).data;
}

export function registerCerts(program: Command): void {
  program
    .command('certs')
    .description("TLS certificates of the app's hosts")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb certs -a hello')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const [list, https] = await Promise.all([get<Cert[]>(`/apps/${enc(app)}/sni-endpoints`), get<HttpsOnly>(`/apps/${enc(app)}/https-only`)]);
      if (opts.json) return printJson({ certificates: list, httpsOnly: https });
      print(c.bold(`=== ${app} Certificates`));
      if (list.length === 0) print('No certificates. Add one with: yb certs:add CERT_FILE KEY_FILE');
      else
        table(
          ['HOST', 'EXPIRES', 'ISSUER', 'SOURCE', 'RENEWAL'],
          list.map((x) => [x.hostname, expiry(x), x.issuer, x.source, renewal(x)]),
        );
      print(`HTTPS only: ${https.enabled ? 'on' : https.hosts.length > 0 ? `on for ${https.hosts.join(', ')}` : 'off'}`);
    });

  program
    .command('certs:add')
    .argument('<cert-file>', 'PEM certificate (leaf first, then intermediates)')
    .argument('<key-file>', 'PEM private key (unencrypted)')
    .description('add a TLS certificate for the hosts of the app it covers')
    .option('-a, --app <app>')
    .option('--redirect', 'also redirect plain HTTP requests to HTTPS (yb certs:https-only on)')
    .addHelpText('after', '\nExample:\n  yb certs:add server.crt server.key -a hello --redirect')
    .action(async (certFile: string, keyFile: string, opts: { app?: string; redirect?: boolean }) => {
      const app = requireApp(opts.app);
      const body = { certificate: readPem(certFile, 'certificate'), privateKey: readPem(keyFile, 'key') };
      const { data } = await request<Cert[]>('POST', `/apps/${enc(app)}/sni-endpoints`, { body });
      for (const x of data) print(`Certificate for ${x.hostname} added to ${app}: issued by ${x.issuer}, expires ${expiry(x)}.`);
      if (opts.redirect) {
        await setHttpsOnly(app, true);
        print(`Plain HTTP requests to ${app} now redirect to HTTPS.`);
      }
    });

  program
    .command('certs:remove')
    .argument('<hostname>')
    .description('remove the TLS certificate of a host of the app')
    .option('-a, --app <app>')
    .action(async (hostname: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request('DELETE', `/apps/${enc(app)}/sni-endpoints/${enc(hostname)}`);
      print(`Certificate for ${hostname} removed from ${app}; the router serves its fallback certificate for it now.`);
    });

  program
    .command('certs:auto')
    .description("obtain certificates for the app's hosts from the ACME CA (Let's Encrypt by default; HTTP-01); they renew automatically")
    .option('-a, --app <app>')
    .addHelpText(
      'after',
      "\nThe hosts must resolve to this platform's router on port 80 (or YB_ROUTER_ADDR).\nThe platform renews these certificates YB_ACME_RENEW_DAYS (30) days before they expire.\nExample:\n  yb certs:auto -a hello",
    )
    .action(async (opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const { data } = await request<Array<{ hostname: string; ok: boolean; error?: string; notAfter?: string; issuer?: string }>>(
        'POST',
        `/apps/${enc(app)}/acm`,
      );
      for (const r of data)
        print(
          r.ok
            ? `${r.hostname}: certificate issued by ${r.issuer}, expires ${r.notAfter!.slice(0, 10)}; renews automatically.`
            : `${r.hostname}: ${c.bold('failed')}: ${r.error}`,
        );
      if (data.length === 0) throw new CliError(`${app} has no host a certificate can be ordered for (wildcards need DNS-01)`, 2);
      if (data.some((r) => !r.ok)) throw new CliError('some certificates were not issued', 6);
    });

  program
    .command('certs:https-only')
    .argument('<on|off>')
    .description('redirect plain HTTP requests to the app to HTTPS, or stop')
    .option('-a, --app <app>')
    .action(async (state: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      if (state !== 'on' && state !== 'off') throw new CliError(`expected "on" or "off", not "${state}"`, 2);
      const r = await setHttpsOnly(app, state === 'on');
      print(
        state === 'on'
          ? `HTTPS only for ${app} (${r.hosts.join(', ')}): plain HTTP requests are redirected.`
          : `Plain HTTP requests to ${app} are served again.`,
      );
    });
}

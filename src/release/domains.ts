// Custom domain names of apps: validation (exact and `*.` wildcard hosts) and normalisation. Pure.
import { YbError } from '../shared/errors.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cases and checks a host name; `*.example.com` is allowed as a wildcard for one label. */
export function checkDomain(raw: string): string {
  const host = raw.trim().toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  const wildcard = labels[0] === '*';
  const rest = wildcard ? labels.slice(1) : labels;
  const ok = host.length <= 253 && rest.length >= (wildcard ? 2 : 1) && rest.every((l) => LABEL.test(l)) && !rest.every((l) => /^\d+$/.test(l));
  if (!ok)
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${raw.slice(0, 100)}" is not a valid domain: use a host name like www.example.com or a wildcard like *.example.com`,
    );
  return host;
}

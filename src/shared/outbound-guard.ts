// Which network addresses the control plane may connect to for a user-given URL (buildpack URLs, log drains): a
// tenant must not use the platform to reach its own services on loopback (etcd, the API, the router's admin
// port), cloud metadata on link-local addresses, or other private hosts. The check is applied to every address a
// name resolves to, at connection time, so redirects and DNS tricks meet it too.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/** Loopback and private networks are refused unless `allowPrivate`; link-local and unusable ones always. */
export function addressProblem(address: string, allowPrivate: boolean): string | undefined {
  const v4 = isIP(address) === 4 ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    if (a === 169 && b === 254) return 'a link-local address';
    if (a === 0 || a >= 224) return 'not a unicast address';
    if (allowPrivate) return undefined;
    if (a === 127) return 'a loopback address';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'a private address';
    return undefined;
  }
  const v6 = address.toLowerCase();
  if (/^fe[89ab]/.test(v6)) return 'a link-local address';
  if (v6 === '::' || v6.startsWith('ff')) return 'not a unicast address';
  if (allowPrivate) return undefined;
  if (v6 === '::1') return 'a loopback address';
  if (/^f[cd]/.test(v6)) return 'a private address';
  return undefined;
}

const HINT = 'set YB_OUTBOUND_PRIVATE=true to allow loopback and private networks (an internal mirror or log collector)';

/** The error for a refused address; names the setting when it would help. */
function refusal(host: string, address: string, problem: string, allowPrivate: boolean): Error {
  const fixable = !allowPrivate && (problem === 'a loopback address' || problem === 'a private address');
  const who = host === address ? address : `${host} (${address})`;
  return new Error(`${who} is ${problem}, which the platform does not connect to for users${fixable ? `; ${HINT}` : ''}`);
}

/** The refusal for the first of `host`'s addresses that may not be connected to; undefined when all may. */
function refusalAmong(host: string, addresses: readonly { address: string }[], allowPrivate: boolean): Error | undefined {
  for (const a of addresses) {
    const problem = addressProblem(a.address, allowPrivate);
    if (problem) return refusal(host, a.address, problem, allowPrivate);
  }
  return undefined;
}

/** The refusal for a host that is an address literal (connections to literals skip `lookup`); undefined for names. */
export function literalRefusal(host: string, allowPrivate: boolean): Error | undefined {
  const literal = host.replace(/^\[|\]$/g, '');
  return isIP(literal) === 0 ? undefined : refusalAmong(literal, [{ address: literal }], allowPrivate);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls connections (and undici's connector) that refuses the addresses above. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = refusalAmong(hostname, addresses, allowPrivate);
      if (refused) return callback(refused, '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** The one address `host` is fetched from (checked), for tools that resolve names themselves (git). */
export async function checkedAddress(host: string, allowPrivate: boolean): Promise<string> {
  const literal = host.replace(/^\[|\]$/g, '');
  const addresses = isIP(literal)
    ? [{ address: literal, family: isIP(literal) }]
    : await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(literal, { all: true }, (err, a) => (err ? reject(err) : resolve(a))));
  const refused = refusalAmong(literal, addresses, allowPrivate);
  if (refused) throw refused;
  if (!addresses.length) throw new Error(`${literal} has no address`);
  return addresses[0]!.address;
}

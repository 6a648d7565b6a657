// Which network addresses the control plane may connect to for a user-given URL (buildpack URLs, log drains): a
// tenant must not use the platform to reach its own services on loopback (etcd, the API, the router's admin
// port), cloud metadata on link-local addresses, or other private hosts. The check is applied to every address a
// name resolves to, at connection time, so redirects and DNS tricks meet it too.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/** The 32 bits of a dotted IPv4 address (already validated by `isIP`). */
function v4Bits(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The eight 16-bit groups of an IPv6 address (already validated by `isIP`; a zone index is dropped). */
export function v6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const bits = v4Bits(dotted);
    text = `${text.slice(0, -dotted.length)}${(bits >>> 16).toString(16)}:${(bits & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

const dottedOf = (bits: number) => [bits >>> 24, (bits >>> 16) & 255, (bits >>> 8) & 255, bits & 255].join('.');

/**
 * The IPv4 address an IPv6 address carries, when connecting to it can end at that IPv4 host: IPv4-mapped
 * (::ffff:a.b.c.d, which the kernel connects to over IPv4), IPv4-compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d),
 * NAT64 (64:ff9b::/96; the local-use 64:ff9b:1::/48 is private as a whole), 6to4 (2002:AABB:CCDD::) and Teredo (2001:0::/32, whose
 * client address is inverted). All spellings reach here as groups, so `::ffff:7f00:1` is `::ffff:127.0.0.1`.
 */
export function embeddedV4(groups: readonly number[]): string[] {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const low = (g6 * 0x10000 + g7) >>> 0;
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(5) && g5 === 0xffff) return [dottedOf(low)];
  if (zeroTo(6) && low > 1) return [dottedOf(low)]; // ::, ::1 are IPv6's own
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return [dottedOf(low)];
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return [dottedOf(low)];
  if (g0 === 0x2002) return [dottedOf((g1 * 0x10000 + g2) >>> 0)];
  if (g0 === 0x2001 && g1 === 0) return [dottedOf((g2 * 0x10000 + g3) >>> 0), dottedOf(~low >>> 0)];
  return [];
}

/** What is wrong with an IPv4 address (as 32 bits) for a user-given URL; undefined when nothing. */
function v4Problem(bits: number, allowPrivate: boolean): string | undefined {
  const a = bits >>> 24;
  const b = (bits >>> 16) & 255;
  if (a === 169 && b === 254) return 'a link-local address';
  if (a === 0 || a >= 224) return 'not a unicast address'; // this-network, multicast, reserved, broadcast
  if (allowPrivate) return undefined;
  if (a === 127) return 'a loopback address';
  const isPrivate =
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 192 && b === 0 && ((bits >>> 8) & 255) === 0) ||
    (a === 198 && (b === 18 || b === 19));
  return isPrivate ? 'a private address' : undefined;
}

/**
 * Loopback and private networks (CGNAT, IETF and benchmark ranges included) are refused unless `allowPrivate`;
 * link-local (cloud metadata), unspecified, multicast and broadcast always, and so is anything that is not an
 * address. An IPv6 address that carries an IPv4 one is judged by that too (IPv4-mapped, NAT64, 6to4, Teredo).
 */
export function addressProblem(address: string, allowPrivate: boolean): string | undefined {
  const family = isIP(address);
  if (family === 4) return v4Problem(v4Bits(address), allowPrivate);
  if (family !== 6) return 'not an IP address';
  const groups = v6Groups(address);
  for (const v4 of embeddedV4(groups)) {
    const problem = v4Problem(v4Bits(v4), allowPrivate);
    if (problem) return `${problem} (${v4} written as IPv6)`;
  }
  const [g0 = 0] = groups;
  const allZero = groups.slice(0, 7).every((g) => g === 0);
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((allZero && groups[7] === 0) || g0 >= 0xff00) return 'not a unicast address';
  if (allowPrivate) return undefined;
  if (allZero && groups[7] === 1) return 'a loopback address';
  // Unique local, the old site-local, and local-use NAT64 (its prefix length, so where the IPv4 sits, is the operator's).
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0 || (g0 === 0x64 && groups[1] === 0xff9b && groups[2] === 1)) return 'a private address';
  return undefined;
}

const HINT = 'set YB_OUTBOUND_PRIVATE=true to allow loopback and private networks (an internal mirror or log collector)';

/** The error for a refused address; names the setting when it would help. */
function refusal(host: string, address: string, problem: string, allowPrivate: boolean): Error {
  const fixable = !allowPrivate && /^a (loopback|private) address/.test(problem);
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

// X-Request-Id values for requests that arrive without one. UUID-shaped (8-4-4-4-12 lower-case hex digits, as
// randomUUID gives and log tools expect), but only the first 80 bits are random, drawn once per process; the last
// 48 are a counter from a random start. Unique per process without drawing random bytes for every request, and
// unlikely to collide across processes and hosts (a fresh prefix is drawn if the counter ever runs out). The
// counter's low 16 bits come from a table: Number#toString(16) of a 48-bit number costs more than randomUUID.
import { randomBytes, randomInt } from 'node:crypto';

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HIGH_END = 2 ** 32;
let prefix = '';
/** `prefix` and the counter's high 32 bits as 8 hex digits. */
let head = '';
let high = HIGH_END;
let low = 0x10000;

export function newRequestId(): string {
  if (low === 0x10000) {
    if (high >= HIGH_END) {
      const h = randomBytes(10).toString('hex');
      prefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-`;
      high = randomInt(2 ** 31);
    }
    head = prefix + (high++).toString(16).padStart(8, '0');
    low = 0;
  }
  const id = head + HEX2[low >> 8]! + HEX2[low & 0xff]!;
  low++;
  return id;
}

// The router's read-only view of $YB_DATA_DIR/secret.key, to open sealed certificate keys. The control plane
// creates and rotates the file; the router re-reads it when an envelope names a key it does not know.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSealed, kidOf, openSealed, parseSecretKeyFile, type Sealed } from '../shared/sealed.js';

export class SecretKeyring {
  private keys = new Map<string, Buffer>();

  constructor(private readonly dataDir: string | undefined) {}

  /** The PEM a record holds: opened when sealed, as is when plain. Throws when it cannot be opened. */
  open(value: Sealed | string, context: string): string {
    if (!isSealed(value)) return value;
    let key = this.keys.get(value.kid);
    if (!key) {
      this.reload();
      key = this.keys.get(value.kid);
    }
    if (!key) throw new Error(`sealed with key ${value.kid}, which is not in secret.key`);
    const pem = openSealed<unknown>(key, value, context);
    if (typeof pem !== 'string') throw new Error('the sealed value is not a PEM string');
    return pem;
  }

  private reload(): void {
    if (!this.dataDir) throw new Error('the router has no data directory to read secret.key from');
    const file = join(this.dataDir, 'secret.key');
    this.keys = new Map(parseSecretKeyFile(readFileSync(file, 'utf8'), file).map((k) => [kidOf(k), k]));
  }
}

// Bench-only floor for HTTPS: the least a Node TLS-terminating proxy does per request on this machine. Each client
// connection (node:tls, the given certificate) gets its own upstream connection and decrypted bytes are copied both
// ways as stream 'data' events bring them: no HTTP parsing, routing, headers, pooling or logging.
// argv: <listen port> <upstream port> <cert file> <key file>.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [port, upstream, certFile, keyFile] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, (client) => {
  client.setNoDelay(true);
  const up = connect({ host: '127.0.0.1', port: Number(upstream), noDelay: true });
  client.on('data', (d: Buffer) => up.write(d));
  up.on('data', (d: Buffer) => client.write(d));
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
});
server.listen(Number(port), '127.0.0.1', () => process.stderr.write(`READY ${port}\n`));

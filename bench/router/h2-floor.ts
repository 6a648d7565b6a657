// Bench-only ceiling for HTTP/2 in Node: node:http2's core API ('stream' events, `stream.respond`) answering every
// stream itself with the backend's body, no proxying at all; HTTP/1.1 clients get the same from node:https
// (`allowHTTP1`). No Node HTTP/2 proxy can serve more. argv: <listen port> <cert file> <key file>.
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';

const [port, certFile, keyFile] = process.argv.slice(2);
const body = 'hello from the backend\n';
const server = createSecureServer({ cert: readFileSync(certFile!), key: readFileSync(keyFile!), allowHTTP1: true }, (req, res) => {
  if (req.httpVersionMajor === 1) res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
});
server.removeAllListeners('stream'); // the compatibility layer's: streams are answered below
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': body.length });
  stream.end(body);
});
server.listen(Number(port), '127.0.0.1', () => process.stderr.write(`READY ${port}\n`));

// Bench-only comparison point: the smallest node:http proxy over a keep-alive http.Agent (no routing, no
// logging, one fixed upstream), to compare the undici data path against. argv: <listen port> <upstream port>.
import { createServer, request, Agent } from 'node:http';

const [port, upstream] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
createServer((req, res) => {
  const up = request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers, agent }, (ur) => {
    res.writeHead(ur.statusCode!, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  req.pipe(up);
}).listen(port, '127.0.0.1', () => process.stderr.write(`READY ${port}\n`));

// An app's own API on plain node:http that requires a Signet token:
// `node --import tsx examples/node-http-api/server.ts` with SIGNET_URL and SIGNET_APP_ID.
// The same middleware works in Express: `app.get('/api/me', requireSignet, handler)`.
import { createServer } from 'node:http';
import { createSignetVerifier, signetMiddleware, type SignetRequest } from '../../src/client/tokens.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(
      `node-http-api: set ${name}, the app id tokens must be issued to (see examples/README.md)\n`,
    );
    process.exit(2);
  }
  return value;
}

const signet = createSignetVerifier({
  url: process.env['SIGNET_URL'] ?? 'http://localhost:8080',
  audience: required('SIGNET_APP_ID'),
});
const requireSignet = signetMiddleware(signet, {
  onReject: (reason) => process.stderr.write(`node-http-api: token refused (${reason})\n`),
});

const server = createServer((req: SignetRequest, res) => {
  if (req.method === 'GET' && req.url === '/api/me') {
    requireSignet(req, res, (error) => {
      if (error) {
        res.writeHead(500).end();
        return;
      }
      const claims = req.signetToken!;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user: claims.sub, method: claims.amr, session: claims.sid ?? null }));
    });
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }));
});

const port = Number(process.env['PORT'] ?? 3002);
server.once('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EADDRINUSE') throw e;
  process.stderr.write(`node-http-api: port ${port} is in use; stop what listens there or set PORT\n`);
  process.exit(1);
});
server.listen(port, process.env['HOST'] ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stderr.write(`node-http-api: listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => server.close(() => process.exit(0)));

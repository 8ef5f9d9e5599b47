// An app's own API on Fastify that requires a Signet token: `node --import tsx examples/fastify-api/server.ts`
// with SIGNET_URL (Signet as this backend reaches it) and SIGNET_APP_ID. See examples/README.md.
import Fastify from 'fastify';
import { createSignetVerifier, signetPreHandler } from '../../src/client/tokens.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(
      `fastify-api: set ${name}, the app id tokens must be issued to (see examples/README.md)\n`,
    );
    process.exit(2);
  }
  return value;
}

const signet = createSignetVerifier({
  url: process.env['SIGNET_URL'] ?? 'http://localhost:8080',
  audience: required('SIGNET_APP_ID'),
  // Optional: accept only some login methods, e.g. ['webauthn', 'device'].
  ...(process.env['SIGNET_AMR'] ? { amr: process.env['SIGNET_AMR'].split(',') } : {}),
});

const app = Fastify();
const requireSignet = signetPreHandler(signet, {
  onReject: (reason) => app.log.info({ reason }, 'token refused'),
});

app.get('/api/me', { preHandler: requireSignet }, async (request) => ({
  user: request.signetToken!.sub,
  method: request.signetToken!.amr,
  session: request.signetToken!.sid ?? null,
}));
app.get('/healthz', async () => ({ status: 'ok' }));

const port = Number(process.env['PORT'] ?? 3001);
const address = await app
  .listen({ port, host: process.env['HOST'] ?? '127.0.0.1' })
  .catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    process.stderr.write(`fastify-api: port ${port} is in use; stop what listens there or set PORT\n`);
    process.exit(1);
  });
const { issuer } = await signet.discovery().catch(() => ({ issuer: '(Signet not reachable yet)' }));
process.stderr.write(`fastify-api: listening on ${address} (tokens of issuer ${issuer})\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));

// An app's own API on Fastify that requires a Signet token: `node --import tsx examples/fastify-api/server.ts`
// with SIGNET_URL (Signet as this backend reaches it) and SIGNET_APP_ID. See examples/README.md.
import Fastify from 'fastify';
import { createSignetVerifier, signetPreHandler } from '../../src/client/tokens.js';

const signet = createSignetVerifier({
  url: process.env['SIGNET_URL'] ?? 'http://localhost:8080',
  audience: process.env['SIGNET_APP_ID'] ?? '',
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

const address = await app.listen({
  port: Number(process.env['PORT'] ?? 3001),
  host: process.env['HOST'] ?? '127.0.0.1',
});
const { issuer } = await signet.discovery().catch(() => ({ issuer: '(Signet not reachable yet)' }));
process.stderr.write(`fastify-api: listening on ${address} (tokens of issuer ${issuer})\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));

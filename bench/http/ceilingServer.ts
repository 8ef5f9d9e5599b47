import { createPublicKey, verify } from 'node:crypto';
import Fastify from 'fastify';

/**
 * The ceiling of the HTTP rows: a bare Fastify server with one route that does only what a
 * device login must do at the least, the RSA verify of a signature over a challenge with a
 * cached KeyObject. No schema, no store, no token: the most Fastify + OpenSSL can give on this
 * machine. Run as its own process: `node --import tsx bench/http/ceilingServer.ts` with the
 * public key PEM in BENCH_PUBLIC_KEY; it prints `listening <port>` and stops on SIGTERM.
 */
const key = createPublicKey(process.env['BENCH_PUBLIC_KEY'] ?? '');
const server = Fastify({ logger: false });

server.post<{ Body: { challenge: string; signature: string } }>('/verify', async (request, reply) => {
  const { challenge, signature } = request.body;
  const ok = verify('sha256', Buffer.from(challenge, 'utf8'), key, Buffer.from(signature, 'base64'));
  if (!ok) return reply.code(401).send({ verified: false });
  return { verified: true };
});

await server.listen({ host: '127.0.0.1', port: 0 });
const address = server.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});

// Loopback sockets for tests: a port nobody holds, and a plain Node server (a fake chain API, a
// webhook receiver, an app backend) listening on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * The `http://127.0.0.1:<port>` URL of a bound loopback address (throws if the server is not bound).
 *
 * @example
 * const url = loopbackUrl(httpServer.address());
 */
export function loopbackUrl(address: AddressInfo | string | null): string {
  if (typeof address !== 'object' || address === null) throw new Error('server did not bind');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Makes a Node server (`node:http` or `node:net`) listen on 127.0.0.1 at a free port and returns
 * its base URL.
 *
 * @example
 * const backendUrl = await listenOnFreePort(createServer(handler));
 */
export async function listenOnFreePort(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return loopbackUrl(server.address());
}

/**
 * A port on 127.0.0.1 where nothing listens: bound once, then released (for a child process to
 * take, or to find a connection refused).
 *
 * @example
 * const port = await findFreePort();
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

// Runs the demo app: `node --import tsx examples/demo-app/server.ts` (see README.md).
import { startDemoApp } from './createDemoApp.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`demo-app: set ${name} (see examples/demo-app/README.md)\n`);
    process.exit(2);
  }
  return value;
}

const signetUrl = process.env['SIGNET_URL'] ?? 'http://localhost:8080';
const port = Number(process.env['PORT'] ?? 3000);
const demo = await startDemoApp({
  signetUrl,
  appId: required('SIGNET_APP_ID'),
  secret: required('SIGNET_APP_SECRET'),
  ...(process.env['SIGNET_ISSUER'] ? { issuer: process.env['SIGNET_ISSUER'] } : {}),
  port,
  host: process.env['HOST'] ?? '127.0.0.1',
}).catch((e: NodeJS.ErrnoException) => {
  if (e.code !== 'EADDRINUSE') throw e;
  process.stderr.write(
    `demo-app: port ${port} is in use (another demo?); stop it or set PORT (the page's origin http://localhost:PORT must then be one of the app's origins)\n`,
  );
  process.exit(1);
});
process.stderr.write(`demo-app: open ${demo.url} (Signet at ${signetUrl})\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void demo.close().then(() => process.exit(0)));
}

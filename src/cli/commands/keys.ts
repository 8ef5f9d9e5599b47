import { parseArgs } from 'node:util';
import { createTokenService } from '../../core/tokens.js';
import { UsageError, type CliIo } from '../io.js';
import { openRuntime, storeOptions } from '../runtime.js';

export const keysUsage = `signet keys rotate [--db URL] [--json]
  Makes a new token signing key; old keys stay in the JWKS until their tokens expire.`;

export async function runKeys(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'rotate') throw new UsageError(`unknown keys command '${sub ?? ''}'`);
  const { values } = parseArgs({ args: rest, strict: true, options: storeOptions });
  const runtime = await openRuntime(values, io);
  try {
    const tokens = createTokenService(runtime.deps);
    const { kid } = await tokens.rotate();
    const jwks = await tokens.jwks();
    io.out(
      values.json
        ? JSON.stringify({ kid, published: jwks.keys.map((k) => k.kid) })
        : `new signing key ${kid}; JWKS publishes ${jwks.keys.length} key(s)`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

import { parseArgs } from 'node:util';
import { createTokenService } from '../../core/tokens.js';
import { subcommandError, UsageError, type CliIo } from '../io.js';
import { openRuntime, storeOptions } from '../runtime.js';

export const keysUsage = `signet keys rotate [--db URL] [--json]
  Makes a new token signing key; old keys stay in the JWKS until their tokens expire.
signet keys revoke KID [--db URL] [--json]
  Takes a (compromised) signing key out of the JWKS at once; its tokens introspect inactive.
  A revoked active key is replaced by a new one. Every node sees it on its next JWKS answer and
  within 10 s for signing (docs/tokens.md, docs/deployment.md).
signet keys list [--db URL] [--json]
  Lists the signing keys: kid, created, retired, revoked, published.`;

const KID = /^[A-Za-z0-9_-]{1,64}$/;

export async function runKeys(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'rotate' && sub !== 'revoke' && sub !== 'list')
    throw subcommandError('keys', sub, ['rotate', 'revoke', 'list']);
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: sub === 'revoke',
    options: storeOptions,
  });
  let kid: string | undefined;
  if (sub === 'revoke') {
    if (positionals.length !== 1) throw new UsageError('signet keys revoke takes one KID');
    kid = positionals[0]!;
    if (!KID.test(kid)) throw new UsageError(`'${kid.slice(0, 70)}' is not a key id`);
  }
  const runtime = await openRuntime(values, io);
  try {
    const tokens = createTokenService(runtime.deps);
    if (sub === 'rotate') {
      const { kid: created } = await tokens.rotate();
      const jwks = await tokens.jwks();
      io.out(
        values.json
          ? JSON.stringify({ kid: created, published: jwks.keys.map((k) => k.kid) })
          : `new signing key ${created}; JWKS publishes ${jwks.keys.length} key(s)`,
      );
      return 0;
    }
    if (sub === 'revoke') {
      const revoked = await tokens.revoke(kid!);
      if (!revoked) {
        io.err(`signet: no signing key ${kid}`);
        if (values.json) io.out(JSON.stringify({ kid, revoked: false }));
        return 1;
      }
      const published = (await tokens.jwks()).keys.map((k) => k.kid);
      io.out(
        values.json
          ? JSON.stringify({ kid, revoked: true, published })
          : `signing key ${kid} revoked; JWKS publishes ${published.join(', ')}`,
      );
      return 0;
    }
    const published = new Set((await tokens.jwks()).keys.map((k) => k.kid));
    const keys = (await runtime.deps.store.signingKeys.list()).map((k) => ({
      kid: k.kid,
      createdAt: new Date(k.createdAt).toISOString(),
      retiredAt: k.retiredAt === null ? null : new Date(k.retiredAt).toISOString(),
      revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
      published: published.has(k.kid),
    }));
    io.out(
      values.json
        ? JSON.stringify({ keys })
        : keys
            .map(
              (k) =>
                `${k.kid}  created ${k.createdAt}${k.retiredAt ? `  retired ${k.retiredAt}` : '  active'}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}${k.published ? '  published' : ''}`,
            )
            .join('\n') || 'no signing keys yet (one is made at the first login)',
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

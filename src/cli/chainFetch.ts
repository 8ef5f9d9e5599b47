import { readFile } from 'node:fs/promises';
import type { ChainFetch } from '../core/deps.js';

/** Largest chain API answer read; a table row is a few hundred bytes. */
const MAX_BYTES = 256 * 1024;

/**
 * POSTs JSON to an Antelope chain API (`/v1/chain/get_table_rows`, MYKEY reserved-key look-ups)
 * or an Ethereum JSON-RPC (`eth_call`, contract wallets) with a 5 s timeout and a size bound.
 * Any failure, a redirect, a non-2xx answer or a body that is not JSON rejects; core maps that
 * to 503.
 */
export const fetchChainJson: ChainFetch = async (url, body) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
    // A chain API or RPC never needs a redirect; following one would send this POST (307) or a
    // GET (302) wherever a third party says, internal addresses included (docs/security.md).
    redirect: 'error',
  });
  if (!response.ok) throw new Error(`chain API answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new Error('chain API answer too large');
  return JSON.parse(text) as unknown;
};

/** Largest FIDO metadata BLOB read (the real one is a few MB). */
const MAX_BLOB_BYTES = 32 * 1024 * 1024;

/** Reads a FIDO Metadata Service BLOB from an http(s) URL or a file (the app's `fidoMds`). */
export async function readMetadataSource(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const response = await fetch(source, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
    if (!response.ok) throw new Error(`metadata source answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_BLOB_BYTES) throw new Error('metadata BLOB too large');
    return text;
  }
  const text = await readFile(source, 'utf8');
  if (text.length > MAX_BLOB_BYTES) throw new Error('metadata BLOB too large');
  return text;
}

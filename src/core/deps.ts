import type { Store } from '../store/types.js';
import type { Sealer } from './sealer.js';

/** Structured log sink; core never logs secrets, keys or stacks through it. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * POSTs JSON and reads JSON: an Antelope chain API (MYKEY reserved-key look-ups) and an app's
 * Ethereum JSON-RPC (contract wallets, src/core/contractWallets.ts); injected so tests can serve it.
 */
export type ChainFetch = (url: string, body: unknown) => Promise<unknown>;

/**
 * Everything the core needs from outside, passed in (STYLE.md habit 1): the store, the clock,
 * randomness, the secret sealer, the token issuer URL. The server and CLI build this once.
 */
export interface Deps {
  store: Store;
  /** Unix milliseconds. */
  clock: () => number;
  /** Cryptographically secure random bytes. */
  random: (length: number) => Uint8Array;
  sealer: Sealer;
  /** `iss` of login tokens: the server's public URL. */
  issuer: string;
  log: Logger;
  chainFetch: ChainFetch;
  /**
   * Waits `ms` (the rate limits' back-off holds a failing client's answers back). The server
   * passes a timer; without it (library use, unit tests) there is no wait.
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Reads a FIDO Metadata Service BLOB (a file path or an http(s) URL, the app's `fidoMds`).
   * Absent: apps that name a BLOB cannot register passkeys (503 `store_unavailable`).
   */
  metadataFetch?: (source: string) => Promise<string>;
  /** Roots the BLOB's signing chain must reach (PEM); default the FIDO MDS root. Tests set their own. */
  metadataRoots?: string[];
  /** Called once per verification attempt (metrics). */
  onAttempt?: (scheme: string, outcome: 'success' | 'failure', reason: string | null) => void;
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

import type { Pool, PoolClient } from 'pg';
import { translatePgError } from './translatePgError.js';

const guarded = new WeakSet<PoolClient>();

/**
 * Takes a client from the pool, with an `error` listener on it. `pg` emits `error` on a client
 * whose socket dies, even while a statement is running (that statement also rejects); the pool
 * listens only while the client is idle, so a checked-out client without a listener would crash
 * the process when the database goes away mid-request. The statement's rejection is what reports
 * the failure, so the listener has nothing more to do.
 *
 * A connection that cannot be made rejects with `store_unavailable`.
 *
 * @example
 * const client = await checkoutClient(pool);
 * try { await client.query('SELECT 1') } finally { client.release() }
 */
export async function checkoutClient(pool: Pool): Promise<PoolClient> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw translatePgError(e);
  }
  if (!guarded.has(client)) {
    client.on('error', () => {});
    guarded.add(client);
  }
  return client;
}

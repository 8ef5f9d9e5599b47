// EOS keys as a wallet holds them (@wharfkit/antelope): registering one with its proof of
// possession (docs/api.md "EOS"), the way the EOS and MYKEY tests enrol a user.
import assert from 'node:assert/strict';
import { Bytes, type PrivateKey } from '@wharfkit/antelope';
import type { SignetClient } from '../../src/client/createSignetClient.js';
import { fetchJson } from './http.js';

/**
 * Signs `text` (UTF-8) with an EOS key as a wallet's `signMessage` does: a `SIG_K1_...` string.
 *
 * @example
 * const signature = signEosText(key, challenge.challenge);
 */
export function signEosText(key: PrivateKey, text: string): string {
  return key.signMessage(Bytes.from(text, 'utf8')).toString();
}

/**
 * Registers `key` for `userId` under `account` through the app's server API, with its proof of
 * possession: an `eos` challenge issued for the user (asserted 200) and signed by the key, as a
 * login would. `publicKey` is the key's text form to register (default the `PUB_K1_` form).
 * Returns the registration answer for the caller to check.
 *
 * @example
 * const reg = await registerEosKey(client, baseUrl, appId, { userId: 'mia', account: 'miaaccount11', key });
 * assert.equal(reg.status, 201);
 */
export async function registerEosKey(
  client: SignetClient,
  baseUrl: string,
  appId: string,
  options: { userId: string; account: string; key: PrivateKey; publicKey?: string },
): ReturnType<SignetClient['registerCredential']> {
  const { userId, account, key } = options;
  const proof = await fetchJson(`${baseUrl}/v1/challenges`, { body: { appId, type: 'eos', userId } });
  assert.equal(proof.status, 200, proof.text);
  return client.registerCredential(userId, {
    type: 'eos',
    account,
    publicKey: options.publicKey ?? key.toPublic().toString(),
    proof: { challengeId: proof.body.challengeId, signature: signEosText(key, proof.body.challenge) },
  });
}

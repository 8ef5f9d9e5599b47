// Device-key logins as a relying app's phone makes them: a fresh P-256 key registered through the
// server API, then a challenge signed and verified over HTTP (docs/api.md "Device keys").
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import type { SignetClient } from '../../src/client/createSignetClient.js';
import { fetchJson, type JsonAnswer } from './http.js';

/** A registered device key. */
export interface DeviceKey {
  userId: string;
  credentialId: string;
  privateKey: KeyObject;
}

/**
 * Generates a P-256 key and registers it (SPKI DER, base64) for `userId` through the app's server
 * API, with an optional label or device id; asserts the 201.
 *
 * @example
 * const device = await enrolDeviceKey(client, 'alice', { label: 'Laptop' });
 */
export async function enrolDeviceKey(
  client: SignetClient,
  userId: string,
  extra: { label?: string; deviceId?: string } = {},
): Promise<DeviceKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const registered = await client.registerCredential(userId, {
    type: 'device',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ...extra,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { userId, credentialId: (registered.body as { id: string }).id, privateKey };
}

/**
 * Asks Signet at `baseUrl` for a device challenge (asserting the 200), signs its text with the
 * device key (SHA-256, base64) and returns the `/v1/verify` answer as it came, success or not.
 *
 * @example
 * const refused = await attemptDeviceLogin(url, appId, { userId: 'alice', privateKey: otherKey });
 * assert.equal(refused.status, 401);
 */
export async function attemptDeviceLogin(
  baseUrl: string,
  appId: string,
  device: Pick<DeviceKey, 'userId' | 'privateKey'>,
): Promise<JsonAnswer> {
  const { userId } = device;
  const challenge = await fetchJson(`${baseUrl}/v1/challenges`, { body: { appId, type: 'device', userId } });
  assert.equal(challenge.status, 200, challenge.text);
  const signature = nodeSign(
    'sha256',
    Buffer.from(challenge.body.challenge, 'utf8'),
    device.privateKey,
  ).toString('base64');
  return fetchJson(`${baseUrl}/v1/verify`, {
    body: { appId, type: 'device', challengeId: challenge.body.challengeId, userId, signature },
  });
}

/**
 * {@link attemptDeviceLogin} that must succeed: asserts the 200 and returns the `/v1/verify` body
 * (`token`, `refreshToken`, ...).
 *
 * @example
 * const { token } = await logInWithDeviceKey(url, appId, await enrolDeviceKey(client, 'alice'));
 */
export async function logInWithDeviceKey(
  baseUrl: string,
  appId: string,
  device: Pick<DeviceKey, 'userId' | 'privateKey'>,
): Promise<any> {
  const verified = await attemptDeviceLogin(baseUrl, appId, device);
  assert.equal(verified.status, 200, verified.text);
  return verified.body;
}

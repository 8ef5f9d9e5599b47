import { createHash } from 'node:crypto';
import { utf8Bytes } from '../encoding/bytes.js';
import { SignetError } from '../errors/SignetError.js';

/**
 * User ids as Signet sees them: opaque strings the app chooses (docs/api.md: 1-128
 * characters), and the WebAuthn user handle each one has. Kept apart from credentials and
 * logins so both can import them without importing each other.
 */

const USER_ID = /^[\s\S]{1,128}$/;

/**
 * Checks a userId from a path or body (docs/api.md: 1-128 characters, no control characters).
 *
 * @example
 * checkUserId('alice') // 'alice'
 */
export function checkUserId(userId: unknown): string {
  if (typeof userId !== 'string' || !USER_ID.test(userId) || /[\u0000-\u001f]/.test(userId)) {
    throw new SignetError('invalid_request', 'userId must be 1-128 characters without control characters');
  }
  return userId;
}

/**
 * The subjects Signet gives MYKEY logins of accounts nobody registered (`mykey:eos:ACCOUNT`,
 * `mykey:eth:0x…`, src/core/mykey.ts): no user of an app may take one, or a token naming that
 * user would name the wallet account too.
 */
const RESERVED_USER_ID = /^mykey:/i;

/**
 * Checks the userId a credential is registered for: {@link checkUserId}, and not in the
 * namespace Signet reserves for MYKEY accounts (400 `invalid_request`).
 *
 * @example
 * checkNewUserId('alice') // 'alice'
 * checkNewUserId('mykey:eos:alice') // throws invalid_request
 */
export function checkNewUserId(userId: unknown): string {
  const id = checkUserId(userId);
  if (RESERVED_USER_ID.test(id))
    throw new SignetError(
      'invalid_request',
      'userIds starting with "mykey:" are reserved for MYKEY accounts',
    );
  return id;
}

/**
 * The WebAuthn user handle for a userId: its UTF-8 bytes when they fit the 64-byte limit
 * (WebAuthn L3 §5.4.3), else their SHA-256. Registration puts it in `user.id`; a login checks
 * an assertion's `userHandle` against it (§7.2 step 6).
 *
 * @example
 * userHandleFor('alice') // Uint8Array [0x61, 0x6c, 0x69, 0x63, 0x65]
 */
export function userHandleFor(userId: string): Uint8Array {
  const bytes = utf8Bytes(userId);
  return bytes.length <= 64 ? bytes : createHash('sha256').update(bytes).digest();
}

/**
 * The one table of Signet's public error codes (docs/api.md, "Errors") with their HTTP status and
 * default message. Routes, the CLI and the docs read this table; nothing else spells a status.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, message: 'The request is malformed or has an invalid field.' },
  verification_failed: { status: 401, message: 'Verification failed.' },
  challenge_unknown: { status: 401, message: 'The challenge is unknown or was already used.' },
  challenge_expired: { status: 401, message: 'The challenge has expired.' },
  timestamp_skew: { status: 401, message: 'The timestamp is outside the allowed clock window.' },
  unauthenticated: { status: 401, message: 'A valid request signature is required.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'This path does not answer this method.' },
  request_timeout: { status: 408, message: 'The request did not arrive in time.' },
  conflict: { status: 409, message: 'The resource already exists or changed concurrently.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  uri_too_long: { status: 414, message: 'The request path or a path parameter is too long.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  rate_limited: { status: 429, message: 'Too many requests or failed attempts; try again later.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  internal_error: { status: 500, message: 'Internal error.' },
  store_unavailable: { status: 503, message: 'The store is unavailable; try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Precise reasons behind a failed verification. The public API answers every one of them with
 * `verification_failed` (docs/api.md); the reason goes to the audit record, the server API,
 * the log and `signet verify`. The first seven are the contract's; the rest are Signet's
 * finer reasons for wallet messages and request signatures, documented in docs/errors.md.
 */
export const REASON_CODES = {
  signature_invalid: 'The signature does not verify with the credential key.',
  credential_unknown: 'No credential of the user matches.',
  counter_regression: 'The authenticator signature counter did not grow (possible cloned authenticator).',
  origin_mismatch: 'The origin is not one of the app origins.',
  rp_id_mismatch: 'The relying party id hash does not match.',
  user_verification_required: 'The app requires user verification and the authenticator did not perform it.',
  replayed: 'This signature or challenge was already accepted.',
  user_presence_required: 'The authenticator did not report user presence.',
  type_mismatch: 'The client data type is not the expected ceremony.',
  challenge_mismatch: 'The signed challenge is not the issued one.',
  timestamp_skew: 'The signed timestamp is outside the allowed clock window.',
  domain_mismatch: 'The Sign-In with Ethereum domain is not one of the app origins.',
  uri_mismatch: 'The Sign-In with Ethereum URI does not belong to an app origin.',
  chain_id_mismatch: 'The Sign-In with Ethereum chain id is not allowed by the app.',
  nonce_mismatch: 'The Sign-In with Ethereum nonce is not the issued challenge.',
  message_expired: 'The signed message has expired.',
  message_not_yet_valid: 'The signed message is not valid yet.',
  message_invalid: 'The signed message is malformed.',
  address_mismatch: 'The recovered address is not the expected one.',
  key_invalid: 'The public key is malformed or not allowed.',
  backup_state_invalid:
    'The authenticator backup flags are inconsistent (backup state without eligibility, or eligibility changed).',
  attestation_invalid: 'The attestation statement does not verify or is not trusted.',
  user_handle_mismatch:
    "The WebAuthn user handle is not the credential owner's (or is missing from a login that named no user).",
  refresh_reuse:
    'A refresh token that had already been used was presented again; its whole session was revoked.',
  refresh_unknown: 'The refresh token is not one this app issued.',
  session_revoked: 'The session (refresh-token family) was revoked.',
  session_expired: 'The session (refresh-token family) has expired.',
  components_missing:
    'The HTTP message signature does not cover what the server requires (@method, @authority, @path, @query, content-digest).',
  digest_mismatch: 'The Content-Digest (sha-256) is missing or does not match the body.',
  attestation_required:
    'The app requires a certificate attestation (direct or enterprise) and the registration carried none or self attestation.',
  attestation_untrusted:
    "The attestation certificate chain does not anchor to one of the app's trust anchors.",
  aaguid_refused: "The authenticator model (AAGUID) is not on the app's allow-list, or is on its deny-list.",
  authenticator_revoked: 'The FIDO Metadata Service marks the authenticator model revoked or compromised.',
  authority_mismatch:
    'The signed @authority (the Host received) is not one this server answers on (the issuer host or --http-signature-authority).',
  transaction_mismatch:
    "The challenge's transaction is not the one given: a transaction challenge used for a plain login, a plain challenge for a transaction, or another transaction.",
  contract_signature_invalid:
    "Neither the address's key nor its contract wallet (EIP-1271 / EIP-6492, asked through the app's Ethereum RPC) accepted the signature.",
  rpc_unavailable: "The app's Ethereum RPC did not answer (answered 503 store_unavailable).",
  rpc_answer_invalid:
    "The app's Ethereum RPC answered with an error or something that is not a JSON-RPC eth_call result (answered 503 store_unavailable).",
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

/** Outcome of a verifier: a value, never an exception (STYLE.md habit 3). */
export type Verified<T extends object = object> = ({ ok: true } & T) | { ok: false; code: ReasonCode };

/** A strict parser's refusal: always `invalid_request`, with a message naming the field. */
export type ParseFailure = { ok: false; code: 'invalid_request'; message: string };

/** Outcome of a strict parser of untrusted input. */
export type Parsed<T> = { ok: true; value: T } | ParseFailure;

/** Builds a failed verification result. */
export function fail(code: ReasonCode): { ok: false; code: ReasonCode } {
  return { ok: false, code };
}

/** Builds a failed parse result with a human message naming the field. */
export function invalid(message: string): ParseFailure {
  return { ok: false, code: 'invalid_request', message };
}

import { serializeInnerList, type InnerList, type Item } from './structuredFields.js';

/**
 * The RFC 9421 signature base (§2.5) over the components Signet supports: the derived
 * components `@method`, `@authority`, `@scheme`, `@target-uri`, `@request-target`, `@path`,
 * `@query` (§2.2) and HTTP fields by their lowercase name (§2.1), without component
 * parameters (`;sf`, `;key`, `;bs`, `;req`, `;name` are refused, not half-supported).
 */

/** A request as both ends see it; the body is handled by `content-digest` (RFC 9530). */
export interface HttpSigRequest {
  /** The method as sent (`POST`). */
  method: string;
  /** The authority as sent in `Host` (`example.com`, `127.0.0.1:8080`). */
  authority: string;
  /** The request target in origin form, as sent: path and query (`/foo?param=Value&Pet=dog`). */
  target: string;
  /** `http` or `https`; needed only for `@scheme` / `@target-uri` and default-port removal. */
  scheme?: string;
  /** Request headers: Node's `IncomingHttpHeaders` or any plain object (names matched case-insensitively). */
  headers: Record<string, string | string[] | undefined>;
}

/** Derived components Signet derives. */
export const DERIVED_COMPONENTS = [
  '@method',
  '@authority',
  '@scheme',
  '@target-uri',
  '@request-target',
  '@path',
  '@query',
] as const;

/** An HTTP field name as a component: a lowercase token (RFC 9110 §5.1, RFC 9421 §2.1). */
export const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/** A component value must be visible ASCII, SP or HTAB: no line break can forge a base line. */
const COMPONENT_VALUE = /^[\x20-\x7e\t]*$/;

/**
 * Reads one header by lowercase `name`; several entries differing in case, or an array, are
 * combined with ", " as RFC 9421 §2.1 asks for multi-line fields, each value trimmed of OWS.
 * `null` when absent.
 */
export function readField(headers: HttpSigRequest['headers'], name: string): string | null {
  const values: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const v = headers[key];
    if (v === undefined) continue;
    for (const line of Array.isArray(v) ? v : [v]) {
      if (typeof line !== 'string') return null;
      values.push(line.replace(/^[ \t]+|[ \t]+$/g, ''));
    }
  }
  return values.length === 0 ? null : values.join(', ');
}

/** RFC 9421 §2.2.3: the authority lowercased, the scheme's default port removed. */
export function normalizeAuthority(authority: string, scheme: string | undefined): string {
  const a = authority.toLowerCase();
  if (scheme === 'https' && a.endsWith(':443')) return a.slice(0, -4);
  if (scheme === 'http' && a.endsWith(':80')) return a.slice(0, -3);
  return a;
}

/** One component's value, or `null` when it cannot be derived from this request. */
export function deriveComponent(request: HttpSigRequest, name: string): string | null {
  const { target } = request;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  let value: string | null;
  switch (name) {
    case '@method':
      value = request.method;
      break;
    case '@authority':
      value = normalizeAuthority(request.authority, request.scheme);
      break;
    case '@scheme':
      value = request.scheme === undefined ? null : request.scheme.toLowerCase();
      break;
    case '@target-uri':
      value =
        request.scheme === undefined
          ? null
          : `${request.scheme.toLowerCase()}://${normalizeAuthority(request.authority, request.scheme)}${target}`;
      break;
    case '@request-target':
      value = target;
      break;
    case '@path':
      // §2.2.6: an empty path is "/"; only origin-form targets have a path here.
      value = path === '' ? '/' : path.startsWith('/') ? path : null;
      break;
    case '@query':
      // §2.2.7: "?" and the query as sent; a request without one gives "?" alone.
      value = q === -1 ? '?' : target.slice(q);
      break;
    default:
      value = FIELD_NAME.test(name) ? readField(request.headers, name) : null;
  }
  return value !== null && COMPONENT_VALUE.test(value) ? value : null;
}

/**
 * Builds the signature base of RFC 9421 §2.5 for the covered components and the signature
 * parameters (the Inner List of `Signature-Input`), or `null` when a component is not a plain
 * string, carries parameters, repeats, or cannot be derived from the request.
 *
 * @example
 * buildSignatureBase(request, signatureInputMember)
 * // '"@method": POST\n"@authority": example.com\n"@signature-params": ("@method" "@authority");created=1618884473'
 */
export function buildSignatureBase(request: HttpSigRequest, signatureParams: InnerList): string | null {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const item of signatureParams.items as Item[]) {
    if (item.value.type !== 'string' || item.params.size > 0) return null;
    const name = item.value.value;
    if (seen.has(name) || name === '@signature-params') return null;
    seen.add(name);
    const value = deriveComponent(request, name);
    if (value === null) return null;
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(signatureParams)}`);
  return lines.join('\n');
}

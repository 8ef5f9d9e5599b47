/**
 * A minimal DER reader for the few certificate fields Node's `X509Certificate` does not expose
 * (the version, extensions by OID, Android's key description). Bounded: every length is checked
 * against the enclosing element; it returns `null` on anything malformed.
 */

/** One DER element: its tag (class bits, constructed bit, number) and where its value lies. */
export interface DerElement {
  cls: number;
  constructed: boolean;
  tag: number;
  start: number;
  end: number;
}

/**
 * Reads the element at `pos`, which must end at or before `limit`.
 *
 * @example
 * readDer(bytes, 0, bytes.length) // { cls: 0, constructed: true, tag: 16, start: 4, end: 519 }
 */
export function readDer(bytes: Uint8Array, pos: number, limit: number): DerElement | null {
  if (pos + 2 > limit) return null;
  const first = bytes[pos++]!;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit || i > 3) return null;
      const b = bytes[pos++]!;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) return null;
  let length = bytes[pos++]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || pos + n > limit) return null;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
  }
  if (pos + length > limit) return null;
  return { cls: first >> 6, constructed: (first & 0x20) !== 0, tag, start: pos, end: pos + length };
}

/** The children of a constructed element. */
export function derChildren(bytes: Uint8Array, parent: DerElement): DerElement[] | null {
  const out: DerElement[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const el = readDer(bytes, pos, parent.end);
    if (el === null) return null;
    out.push(el);
    pos = el.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's value bytes. */
export function oidText(value: Uint8Array): string {
  const parts: number[] = [];
  let n = 0;
  for (const b of value) {
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** A certificate's version number (1-3) and its extensions by OID. */
export interface CertificateFields {
  version: number;
  extensions: Map<string, { critical: boolean; value: Uint8Array }>;
}

/**
 * Reads the version and extensions of an X.509 certificate (RFC 5280 §4.1).
 *
 * @example
 * readCertificateFields(der)?.extensions.get('1.3.6.1.4.1.45724.1.1.4') // the FIDO AAGUID extension
 */
export function readCertificateFields(der: Uint8Array): CertificateFields | null {
  const cert = readDer(der, 0, der.length);
  if (cert === null || !cert.constructed) return null;
  const tbs = readDer(der, cert.start, cert.end);
  if (tbs === null || !tbs.constructed) return null;
  const fields = derChildren(der, tbs);
  if (fields === null || fields.length === 0) return null;
  let version = 1;
  const extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const f of fields) {
    if (f.cls !== 2) continue;
    if (f.tag === 0) {
      const v = readDer(der, f.start, f.end);
      if (v === null || v.end - v.start !== 1) return null;
      version = der[v.start]! + 1;
    } else if (f.tag === 3) {
      const seq = readDer(der, f.start, f.end);
      const list = seq === null ? null : derChildren(der, seq);
      if (list === null) return null;
      for (const ext of list) {
        const parts = derChildren(der, ext);
        if (parts === null || parts.length < 2 || parts[0]!.tag !== 6) return null;
        const last = parts[parts.length - 1]!;
        if (last.tag !== 4) return null;
        const critical = parts.length === 3 && der[parts[1]!.start] === 0xff;
        extensions.set(oidText(der.subarray(parts[0]!.start, parts[0]!.end)), {
          critical,
          value: der.subarray(last.start, last.end),
        });
      }
    }
  }
  return { version, extensions };
}

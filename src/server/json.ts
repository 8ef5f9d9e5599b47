import type { FastifyInstance } from 'fastify';
import { SignetError } from '../errors/SignetError.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of the body as received (Tiniapp signatures cover these, never a re-serialisation). */
    rawBody?: Buffer;
    /**
     * A server-API body that could not be parsed: kept for after authentication (docs/api.md:
     * a request without a valid signature answers 401 whatever else is wrong with it).
     */
    bodyError?: SignetError;
  }
}

/** Deepest JSON nesting accepted; deeper bodies answer 400 before `JSON.parse` sees them. */
export const MAX_JSON_DEPTH = 32;

/** Linear scan for the nesting depth of a JSON text (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses JSON bytes strictly; a failure is `invalid_request`. */
function parseJsonBytes(raw: Buffer): { ok: true; value: unknown } | { ok: false; error: SignetError } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, error: new SignetError('invalid_request', 'The body is not valid UTF-8.') };
  }
  if (text.trim() === '')
    return { ok: false, error: new SignetError('invalid_request', 'The body is empty.') };
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    return { ok: false, error: new SignetError('invalid_request', 'The JSON body is nested too deeply.') };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: new SignetError('invalid_request', 'The body is not valid JSON.') };
  }
}

/**
 * Replaces Fastify's JSON parser with one that keeps the raw bytes, refuses invalid UTF-8 and
 * deep nesting, and turns every failure into `invalid_request`. On the server API (routes
 * with `config.side === 'server'`) a failure, and a body that is not JSON (415), waits in
 * `request.bodyError` until the request signature has been checked.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: Fastify's text/plain parser goes too, so any other body is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    // A server-API request with an empty body is a body-less one (its path is what is signed).
    if (raw.length === 0 && request.routeOptions.config?.side === 'server') return done(null, undefined);
    const parsed = parseJsonBytes(raw);
    if (parsed.ok) return done(null, parsed.value);
    if (request.routeOptions.config?.side === 'server') {
      request.bodyError = parsed.error;
      return done(null, undefined);
    }
    return done(parsed.error, undefined);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const error = new SignetError('unsupported_media_type');
    if (request.routeOptions.config?.side !== 'server') return done(error, undefined);
    request.rawBody = body as Buffer;
    request.bodyError = error;
    return done(null, undefined);
  });
}

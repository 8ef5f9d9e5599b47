import type { FastifyInstance } from 'fastify';
import { SignetError } from '../errors/SignetError.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of the body as received (Tiniapp signatures cover these, never a re-serialisation). */
    rawBody?: Buffer;
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

/**
 * Replaces Fastify's JSON parser with one that keeps the raw bytes, refuses invalid UTF-8 and
 * deep nesting, and turns every failure into `invalid_request`.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: Fastify's text/plain parser goes too, so any other body is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      done(new SignetError('invalid_request', 'The body is not valid UTF-8.'), undefined);
      return;
    }
    if (text.trim() === '') {
      done(new SignetError('invalid_request', 'The body is empty.'), undefined);
      return;
    }
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(new SignetError('invalid_request', 'The JSON body is nested too deeply.'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new SignetError('invalid_request', 'The body is not valid JSON.'), undefined);
    }
  });
}

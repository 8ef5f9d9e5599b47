// JSON over real HTTP (fetch) for tests against a listening server.

/** A JSON answer: its status, its text, and the text parsed (`null` when empty). */
export interface JsonAnswer {
  status: number;
  // The shape is whatever the route answers; tests assert on it field by field.
  body: any;
  text: string;
}

/** What {@link fetchJson} sends. */
export interface JsonRequest {
  /** Default: `GET` without a body, `POST` with one. */
  method?: string;
  /** Sent as is when a string, else as JSON; either way with `content-type: application/json`. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Sends a request with fetch and reads the answer as JSON (an empty answer is `null`).
 *
 * @example
 * const ch = await fetchJson(`${url}/v1/challenges`, { body: { appId, type: 'device', userId } });
 * assert.equal(ch.status, 200);
 */
export async function fetchJson(url: string, request: JsonRequest = {}): Promise<JsonAnswer> {
  const text =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
  const response = await fetch(url, {
    method: request.method ?? (text === undefined ? 'GET' : 'POST'),
    headers: {
      ...request.headers,
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(text === undefined ? {} : { body: text }),
  });
  const raw = await response.text();
  return { status: response.status, text: raw, body: raw ? JSON.parse(raw) : null };
}

import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { isSignetError } from '../errors/SignetError.js';

/** The contract's error body: `{ error: { code, message } }` (+ `reason` on server-API answers). */
export function errorBody(code: ErrorCode, message?: string, reason?: string): Record<string, unknown> {
  return { error: { code, message: message ?? ERROR_CODES[code].message, ...(reason ? { reason } : {}) } };
}

/** Fastify's own error codes, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
};

/**
 * The one error handler: every failure leaves as a stable code from the table. The public API
 * hides the precise reason of a `verification_failed` (docs/api.md); server-API answers carry it.
 * Logs carry the code and reason, never a stack, a body or a secret.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const isServerApi = request.routeOptions.config?.side === 'server';
  if (isSignetError(error)) {
    if (error.status >= 500) request.log.warn({ code: error.code }, 'request failed');
    else request.log.debug({ code: error.code, reason: error.reason }, 'request refused');
    if (error.retryAfterSec !== undefined) void reply.header('retry-after', String(error.retryAfterSec));
    const publicMessage = error.code === 'verification_failed' && !isServerApi ? undefined : error.message;
    void reply
      .status(error.status)
      .send(errorBody(error.code, publicMessage, isServerApi ? error.reason : undefined));
    return;
  }
  const fastifyCode =
    'code' in error && typeof error.code === 'string' ? FASTIFY_CODES[error.code] : undefined;
  if ('validation' in error && error.validation) {
    const first = error.validation[0];
    const where = first ? `${first.instancePath || '(body)'} ${first.message ?? ''}`.trim() : 'invalid input';
    void reply
      .status(400)
      .send(errorBody('invalid_request', `${error.validationContext ?? 'body'}: ${where}`));
    return;
  }
  if (fastifyCode) {
    void reply.status(ERROR_CODES[fastifyCode].status).send(errorBody(fastifyCode));
    return;
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    void reply
      .status(status === 413 ? 413 : 400)
      .send(errorBody(status === 413 ? 'payload_too_large' : 'invalid_request'));
    return;
  }
  request.log.error({ err: { name: error.name, message: error.message } }, 'unexpected error');
  void reply.status(500).send(errorBody('internal_error'));
}

/**
 * Fastify's router errors (bad percent-encoding, an over-long path parameter), answered in the
 * one error shape instead of Fastify's own.
 */
export function handleFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const code = FASTIFY_CODES[error.code] ?? 'invalid_request';
  void reply.status(ERROR_CODES[code].status).send(errorBody(code));
}

/**
 * Errors Node's HTTP parser raises before there is a request (a timeout, headers too large,
 * malformed HTTP): written straight to the socket in the error shape, then the socket closes.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'request_timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'headers_too_large'
        : 'invalid_request';
  const { status } = ERROR_CODES[code];
  const body = JSON.stringify(errorBody(code));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code.replace(/_/g, ' ')}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

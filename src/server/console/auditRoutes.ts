import type { FastifyInstance } from 'fastify';
import { requireApp } from '../../core/apps.js';
import type { Deps } from '../../core/deps.js';
import { ERROR_CODES, REASON_CODES } from '../../errors/codes.js';
import { SignetError } from '../../errors/SignetError.js';
import { SCHEMES } from '../../schemes/registry.js';
import type { AuditQuery, AuditRecord } from '../../store/types.js';
import { auditRecord, errorResponses } from '../schemas.js';
import { ACTION_KINDS, collectAttempts, chartWindow } from './attempts.js';
import { appParams, AUDIT_CURSOR, auditQuery, chartView, noQuery } from './schemas.js';

interface AuditQuerystring {
  userId?: string;
  userPrefix?: string;
  scheme?: string;
  action?: string;
  outcome?: 'success' | 'failure';
  reason?: string;
  limit?: string;
  before?: string;
  cursor?: string;
}

/**
 * The audit actions Signet writes (core/login.ts, core/mykey.ts, core/credentials.ts,
 * webauthnRegistration, core/sessions.ts, server/auth), each with its chart kind (attempts.ts).
 */
export const AUDIT_ACTIONS = Object.keys(ACTION_KINDS);

/** The cursor that continues after `last`: `<at>.<id>` (see AUDIT_CURSOR). */
export function auditCursor(last: Pick<AuditRecord, 'at' | 'id'>): string {
  return `${last.at}.${last.id}`;
}

/**
 * The console's audit routes: one page of the audit log, filtered and paged on the server (the
 * store's filters and keyset cursor, docs/console.md), and the attempts chart with its failure
 * rates and top reasons.
 */
export function registerConsoleAuditRoutes(admin: FastifyInstance, deps: () => Deps): void {
  // The words the audit filters offer: every scheme, action and failure reason Signet records.
  const vocabulary = {
    schemes: [...Object.keys(SCHEMES), 'mykey'].sort(),
    actions: AUDIT_ACTIONS,
    outcomes: ['success', 'failure'],
    reasons: [...Object.keys(REASON_CODES), ...Object.keys(ERROR_CODES)]
      .filter((c, i, all) => all.indexOf(c) === i)
      .sort(),
  };
  admin.get(
    '/api/vocabulary',
    {
      schema: {
        hide: true,
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            properties: Object.fromEntries(
              Object.keys(vocabulary).map((k) => [k, { type: 'array', items: { type: 'string' } }]),
            ),
          },
          ...errorResponses,
        },
      },
    },
    async () => vocabulary,
  );

  admin.get<{ Params: { appId: string }; Querystring: AuditQuerystring }>(
    '/api/apps/:appId/audit',
    {
      schema: {
        hide: true,
        params: appParams,
        querystring: auditQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              records: { type: 'array', items: auditRecord },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const q = request.query;
      const limit = Math.min(Math.max(Number(q.limit ?? 50), 1), 1000);
      const cursor = q.cursor === undefined ? null : AUDIT_CURSOR.exec(q.cursor);
      const query: AuditQuery = {
        limit,
        ...(q.userId !== undefined ? { userId: q.userId } : {}),
        ...(q.userPrefix !== undefined ? { userPrefix: q.userPrefix } : {}),
        ...(q.scheme !== undefined ? { scheme: q.scheme } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(q.reason !== undefined ? { reason: q.reason } : {}),
        ...(q.before !== undefined ? { before: Number(q.before) } : {}),
        ...(cursor ? { after: { at: Number(cursor[1]), id: cursor[2]! } } : {}),
      };
      const records = await deps().store.audit.list(app.id, query);
      const last = records[records.length - 1];
      return {
        records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
        nextCursor: records.length === limit && last ? auditCursor(last) : null,
      };
    },
  );

  admin.get<{ Params: { appId: string }; Querystring: { hours?: string; buckets?: string } }>(
    '/api/apps/:appId/attempts',
    {
      schema: {
        hide: true,
        params: appParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            hours: { type: 'string', pattern: '^[0-9]{1,3}$' },
            buckets: { type: 'string', pattern: '^[0-9]{1,3}$' },
          },
        },
        response: { 200: chartView, ...errorResponses },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const hours = Number(request.query.hours ?? 24);
      const buckets = Number(request.query.buckets ?? 24);
      if (hours < 1 || hours > 720) throw new SignetError('invalid_request', 'hours must be 1-720');
      if (buckets < 1 || buckets > 200) throw new SignetError('invalid_request', 'buckets must be 1-200');
      return collectAttempts(
        deps().store.audit,
        app.id,
        chartWindow(deps().clock(), hours * 3600_000, buckets),
      );
    },
  );
}

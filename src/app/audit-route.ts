import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { auditCsvHeader, auditCsvLine, type AuditEntry } from '../domain/audit/audit-entry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { HttpRoute } from './http-routes.js';

export const AUDIT_PATH = '/audit';

/** Rows read per query while streaming: bounded memory whatever the range. */
const EXPORT_BATCH = 500;

type ExportFormat = 'jsonl' | 'csv';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** `since` is an ISO 8601 date or date-time; a date-time without an offset would be ambiguous. */
const sinceParam = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((text) => new Date(text));

const queryParams = z.object({
  since: z.string({ message: 'since is required, e.g. ?since=2026-11-01T00:00:00Z' }).pipe(sinceParam),
  format: z.enum(['jsonl', 'csv'], { message: 'format must be jsonl or csv' }).optional(),
});

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A constant-time comparison of the presented token (hashed first, so lengths never leak). */
function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function refuse(res: ServerResponse, status: number, error: string, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extraHeaders });
  res.end(JSON.stringify({ ok: false, error }));
}

/** The format asked for: `format=` wins, else the Accept header; null when neither can be served. */
export function exportFormat(param: ExportFormat | undefined, accept: string | undefined): ExportFormat | null {
  if (param) return param;
  if (!accept || accept.trim() === '') return 'jsonl';
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  for (const type of types) {
    if (type === 'text/csv') return 'csv';
    if (['application/x-ndjson', 'application/jsonl', 'application/json', 'application/*', '*/*'].includes(type)) return 'jsonl';
  }
  return null;
}

/**
 * GET /audit?since=…: the whole event log since a moment, oldest first, as JSON lines or CSV, for
 * compliance tools. A bearer token from the environment (AUDIT_EXPORT_TOKEN) guards it; without
 * one configured, the export is off and says so.
 */
export function auditRoute(options: { audit: AuditLog; token: string | undefined }): HttpRoute {
  return {
    path: AUDIT_PATH,
    method: 'GET',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      if (!options.token) return refuse(res, 404, 'the audit export is not enabled: set AUDIT_EXPORT_TOKEN');
      const authorization = req.headers.authorization ?? '';
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      const challenge = { 'www-authenticate': 'Bearer realm="audit"' };
      if (!bearer) return refuse(res, 401, 'an Authorization: Bearer <token> header is required', challenge);
      if (!tokenMatches(bearer, options.token)) return refuse(res, 401, 'the bearer token is not valid', { 'www-authenticate': 'Bearer realm="audit", error="invalid_token"' });

      const url = new URL(req.url ?? '/', 'http://localhost');
      const parsed = queryParams.safeParse(Object.fromEntries(url.searchParams));
      if (!parsed.success) return refuse(res, 400, parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; '));
      const format = exportFormat(parsed.data.format, req.headers.accept);
      if (!format) return refuse(res, 406, 'this export speaks application/x-ndjson and text/csv (or say ?format=jsonl|csv)');

      const since = parsed.data.since;
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[format],
        'content-disposition': `attachment; filename="audit-since-${since.toISOString().slice(0, 10)}.${format === 'csv' ? 'csv' : 'jsonl'}"`,
        'cache-control': 'no-store',
      });
      if (format === 'csv') res.write(auditCsvHeader());
      const line = format === 'csv' ? auditCsvLine : (entry: AuditEntry) => `${JSON.stringify(entry)}\n`;
      let afterId = 0;
      for (;;) {
        const batch = await options.audit.exportSince({ since, afterId, limit: EXPORT_BATCH });
        if (batch.length > 0) res.write(batch.map(line).join(''));
        if (batch.length < EXPORT_BATCH) break;
        afterId = batch[batch.length - 1]!.id;
      }
      res.end();
    },
  };
}

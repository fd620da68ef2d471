import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../ports/clock.js';

/**
 * Signed JSON webhooks for traffic and infra (docs/webhooks.md is the receiver's side of this):
 *   X-Delivery-Timestamp: unix seconds
 *   X-Delivery-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   X-Delivery-Idempotency-Key: the change's key (also in the body)
 * Signing the timestamp with the body lets a receiver refuse replays older than a few minutes.
 */

export const SIGNATURE_HEADER = 'x-delivery-signature';
export const TIMESTAMP_HEADER = 'x-delivery-timestamp';
export const IDEMPOTENCY_HEADER = 'x-delivery-idempotency-key';

export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export type WebhookVerification = { ok: true } | { ok: false; reason: string };

/** The receiver's check, for platform teams writing theirs in Node (and for our own tests). */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  now: Date,
  toleranceSeconds = 300,
): WebhookVerification {
  const timestamp = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isInteger(timestamp)) return { ok: false, reason: 'missing or malformed timestamp' };
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

export interface SignedWebhookTarget {
  url: string;
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: Logger;
}

export type WebhookResult =
  | { kind: 'delivered'; status: number; body: unknown }
  | { kind: 'failed'; retryable: boolean; reason: string };

/**
 * Posts one signed payload. 2xx is delivered; 408, 425, 429 and 5xx, timeouts and connection errors
 * are worth retrying (with the same idempotency key); other 4xx mean the receiver refuses the change.
 */
export async function postSignedWebhook(target: SignedWebhookTarget, payload: { readonly idempotencyKey: string }): Promise<WebhookResult> {
  const rawBody = JSON.stringify(payload);
  const timestamp = Math.floor((target.clock ?? systemClock).now().getTime() / 1000);
  let response: Response;
  try {
    response = await (target.fetch ?? fetch)(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'durable-delivery',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, rawBody),
        [IDEMPOTENCY_HEADER]: payload.idempotencyKey,
      },
      body: rawBody,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const reason = timedOut ? `no answer within ${target.timeoutMs}ms` : `unreachable: ${error instanceof Error ? error.message : String(error)}`;
    target.logger?.warn({ url: redactUrl(target.url), reason }, 'webhook failed');
    return { kind: 'failed', retryable: true, reason };
  }
  const text = await response.text().catch(() => '');
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text.slice(0, 500);
  }
  target.logger?.debug({ url: redactUrl(target.url), status: response.status }, 'webhook delivered');
  if (response.ok) return { kind: 'delivered', status: response.status, body };
  const retryable = response.status >= 500 || [408, 425, 429].includes(response.status);
  const detail = typeof body === 'object' && body !== null && 'error' in body ? `: ${String(body.error)}` : typeof body === 'string' && body ? `: ${body}` : '';
  return { kind: 'failed', retryable, reason: `the receiver answered ${response.status}${detail}` };
}

/** URLs may carry tokens in their query; logs get the origin and path only. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

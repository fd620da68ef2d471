import type { Logger } from 'pino';
import type { Telemetry } from '../../ports/telemetry.js';
import { systemClock, type Clock } from '../../ports/clock.js';

/**
 * The one place that talks HTTP to Datadog: keys in headers, a timeout, and Datadog's rate-limit
 * headers honoured (X-RateLimit-Remaining / X-RateLimit-Reset, seconds until the window resets).
 * Every failure comes back as a value; nothing here throws for an outage.
 */

export interface DatadogHttpOptions {
  /** https://api.datadoghq.com, https://api.datadoghq.eu, … or a proxy (DD_API_URL / DD_SITE, resolved by the caller). */
  baseUrl: string;
  apiKey: string;
  /** Needed for reading metrics and monitors; not for posting events. */
  appKey?: string;
  timeoutMs?: number;
  /** A 429 whose window resets within this many seconds is waited out and retried once. */
  maxRateLimitWaitSeconds?: number;
  fetch?: typeof fetch;
  /** Counts calls by status for /metrics. */
  telemetry?: Telemetry;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

export type DatadogResponse =
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'error'; reason: string; status?: number; retryAfterSeconds?: number };

export class DatadogHttp {
  readonly #options: DatadogHttpOptions;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Per rate-limit name (Datadog limits each endpoint family separately). */
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: DatadogHttpOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get timeoutMs(): number {
    return this.#options.timeoutMs ?? 10_000;
  }

  async request(method: 'GET' | 'POST', path: string, init: { query?: Record<string, string>; body?: unknown; limitName: string }): Promise<DatadogResponse> {
    const blockedUntil = this.#blockedUntil.get(init.limitName) ?? 0;
    const now = this.#clock.now().getTime();
    if (now < blockedUntil) {
      const retryAfterSeconds = Math.ceil((blockedUntil - now) / 1000);
      return { kind: 'error', reason: `rate limited by Datadog for another ${retryAfterSeconds}s`, retryAfterSeconds };
    }
    const first = await this.#once(method, path, init);
    if (first.kind === 'rate-limited') {
      const maxWait = this.#options.maxRateLimitWaitSeconds ?? 2;
      if (first.resetSeconds <= maxWait) {
        await this.#sleep(first.resetSeconds * 1000);
        const second = await this.#once(method, path, init);
        if (second.kind !== 'rate-limited') return second;
        return this.#rateLimited(init.limitName, second.resetSeconds);
      }
      return this.#rateLimited(init.limitName, first.resetSeconds);
    }
    return first;
  }

  #rateLimited(limitName: string, resetSeconds: number): DatadogResponse {
    this.#blockedUntil.set(limitName, this.#clock.now().getTime() + resetSeconds * 1000);
    return { kind: 'error', status: 429, reason: `rate limited by Datadog (resets in ${resetSeconds}s)`, retryAfterSeconds: resetSeconds };
  }

  async #once(
    method: 'GET' | 'POST',
    path: string,
    init: { query?: Record<string, string>; body?: unknown; limitName: string },
  ): Promise<DatadogResponse | { kind: 'rate-limited'; resetSeconds: number }> {
    const url = new URL(path, this.#options.baseUrl.endsWith('/') ? this.#options.baseUrl : `${this.#options.baseUrl}/`);
    for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json', 'DD-API-KEY': this.#options.apiKey };
    if (this.#options.appKey) headers['DD-APPLICATION-KEY'] = this.#options.appKey;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const started = Date.now();
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const reason = timedOut ? `Datadog did not answer within ${formatMs(this.timeoutMs)}` : `Datadog unreachable: ${describeError(error)}`;
      this.#options.telemetry?.record({ kind: 'api_called', api: 'datadog', status: 'error' });
      this.#options.logger?.warn({ path: url.pathname, reason }, 'datadog request failed');
      return { kind: 'error', reason };
    }
    this.#options.telemetry?.record({ kind: 'api_called', api: 'datadog', status: response.status });
    this.#options.logger?.debug({ path: url.pathname, status: response.status, ms: Date.now() - started }, 'datadog request');
    const remaining = numberHeader(response, 'x-ratelimit-remaining');
    const reset = numberHeader(response, 'x-ratelimit-reset') ?? numberHeader(response, 'retry-after');
    if (response.status === 429) {
      await response.body?.cancel();
      return { kind: 'rate-limited', resetSeconds: Math.max(1, Math.ceil(reset ?? 60)) };
    }
    // Out of budget for this window: wait for the reset instead of spending the next call on a 429.
    if (remaining === 0 && reset !== undefined) this.#blockedUntil.set(init.limitName, this.#clock.now().getTime() + reset * 1000);
    const text = await response.text().catch(() => '');
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const detail = errorsOf(body);
      return {
        kind: 'error',
        status: response.status,
        reason: `Datadog answered ${response.status}${detail ? `: ${detail}` : ''}`,
        ...(response.status >= 500 && reset !== undefined ? { retryAfterSeconds: reset } : {}),
      };
    }
    if (body === undefined && text !== '') return { kind: 'error', status: response.status, reason: 'Datadog answered with something other than JSON' };
    return { kind: 'ok', status: response.status, body };
  }
}

function numberHeader(response: Response, name: string): number | undefined {
  const raw = response.headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function errorsOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'errors' in body && Array.isArray(body.errors)) {
    return body.errors.map(String).join('; ').slice(0, 300);
  }
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') return body.error.slice(0, 300);
  return undefined;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms}ms`;
}

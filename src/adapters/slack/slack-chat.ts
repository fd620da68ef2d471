import { ErrorCode, LogLevel, WebClient, type WebAPICallResult } from '@slack/web-api';
import type { StageChart } from '../../domain/health/stage-chart.js';
import type { ReleaseView } from '../../domain/release/types.js';
import type { Chat, MessageRef } from '../../ports/chat.js';
import { renderStageChart } from '../charts/stage-chart-image.js';
import { renderReleaseCard } from './blocks/release-card.js';
import { clip } from './blocks/block-kit.js';

/**
 * Thrown for a Slack 429: the outbox's chat lane retries the effect after `retryAfterSeconds`
 * instead of a WebClient sleeping on it, so no other lane (and no rollback) ever waits on Slack.
 */
export class ChatRateLimitedError extends Error {
  readonly retryable = true;
  constructor(
    readonly method: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`Slack rate-limited ${method}; retry after ${retryAfterSeconds}s`);
    this.name = 'ChatRateLimitedError';
  }
}

/**
 * A post that was still waiting its turn (one a second per channel) when the process began to stop:
 * not sent, and due again at once, for whoever runs the outbox next; no attempt is spent on it.
 */
export class ChatStoppedError extends Error {
  readonly retryable = true;
  readonly retryAfterSeconds = 0;
  constructor(readonly method: string) {
    super(`${method} not sent: the bot is stopping`);
    this.name = 'ChatStoppedError';
  }
}

/** A Slack error that retrying cannot fix (bad arguments, unknown channel, revoked token). */
export class ChatRefusedError extends Error {
  readonly retryable = false;
  constructor(
    readonly method: string,
    readonly slackError: string,
  ) {
    super(`Slack refused ${method}: ${slackError}`);
    this.name = 'ChatRefusedError';
  }
}

export interface SlackChatOptions {
  /** An existing client (Bolt's) or the token and base URL to build one. */
  client?: WebClient;
  token?: string;
  apiUrl?: string;
  /** The channel a release's card is posted in: the target environment's deploy channel. */
  cardChannel: (view: ReleaseView) => string;
  /**
   * Minimum gap between two posts to one channel (Slack allows about one per second). Waiting
   * here only delays the chat lane.
   */
  minPostIntervalMs?: number;
  /**
   * Budget of chat.update calls per minute (Slack's tier 3 allows about 50). Past it, an update
   * fails at once as rate-limited, without calling Slack: the outbox retries it later, and since
   * card updates are coalesced, the retry draws the latest state.
   */
  updatesPerMinute?: number;
  /**
   * How many card updates may go at once before the rest are spread evenly over the minute
   * (default 10): a burst of transitions must not spend the whole minute's budget in seconds and
   * leave every card stale for the rest of it.
   */
  updateBurst?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Builds the WebClient the way this adapter needs it: 429s are surfaced, not slept on. */
export function createSlackWebClient(token: string | undefined, apiUrl: string | undefined): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    rejectRateLimitedCalls: true,
    // A 429 is reported through ChatRateLimitedError; the client's own warning would be noise.
    logLevel: LogLevel.ERROR,
    // Transport errors are retried by the outbox with its own backoff, not inside one effect.
    retryConfig: { retries: 0 },
  });
}

/** The Chat port over Slack's Web API. */
export class SlackChat implements Chat {
  readonly #client: WebClient;
  readonly #cardChannel: (view: ReleaseView) => string;
  readonly #minPostIntervalMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #lastPostAt = new Map<string, number>();
  /** Channel ids Slack answered for the names we posted to, so "#deploys" and "C…" share one pace. */
  readonly #channelIds = new Map<string, string>();
  readonly #updatesPerMinute: number;
  readonly #updateBurst: number;
  /** When each card update of the last minute went out: a sliding window, so no minute holds more. */
  #recentUpdates: number[] = [];
  /** Update tokens in hand (a bucket of `updateBurst`, refilled so no minute sees more than the budget). */
  #updateTokens: number;
  /** When the bucket was last refilled; unset until the first update, so building the adapter reads no clock. */
  #updateTokensAt: number | undefined;

  constructor(options: SlackChatOptions) {
    this.#client = options.client ?? createSlackWebClient(options.token, options.apiUrl);
    this.#cardChannel = options.cardChannel;
    this.#minPostIntervalMs = options.minPostIntervalMs ?? 1000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#updatesPerMinute = options.updatesPerMinute ?? 40;
    this.#updateBurst = Math.max(1, Math.min(this.#updatesPerMinute, options.updateBurst ?? 10));
    this.#updateTokens = this.#updateBurst;
  }

  async publishCard(view: ReleaseView, existing: MessageRef | null): Promise<MessageRef> {
    const card = renderReleaseCard(view);
    if (existing) {
      this.#takeUpdateToken();
      const updated = await this.#call('chat.update', { channel: existing.channel, ts: existing.ts, text: card.text, blocks: card.blocks }, ['message_not_found']);
      // A card someone deleted is posted again rather than lost: the release still needs a face.
      if (updated) return existing;
    }
    const channel = this.#cardChannel(view);
    await this.#pace(channel);
    const posted = (await this.#call('chat.postMessage', { channel, text: card.text, blocks: card.blocks, unfurl_links: false })) as WebAPICallResult & { channel?: string; ts?: string };
    if (!posted?.channel || !posted.ts) throw new ChatRefusedError('chat.postMessage', 'no channel/ts in the answer');
    this.#rememberChannelId(channel, posted.channel);
    return { channel: posted.channel, ts: posted.ts };
  }

  async postThreadLine(ref: MessageRef, text: string): Promise<void> {
    await this.#pace(ref.channel);
    await this.#call('chat.postMessage', { channel: ref.channel, thread_ts: ref.ts, text: clip(text, 3000) });
  }

  /**
   * files.uploadV2: files.getUploadURLExternal, the bytes POSTed to the URL it gives, then
   * files.completeUploadExternal sharing the file into the card's thread.
   */
  async postThreadChart(ref: MessageRef, chart: StageChart): Promise<void> {
    const image = await renderStageChart(chart);
    await this.#pace(ref.channel);
    await this.#guard('files.uploadV2', () =>
      this.#client.filesUploadV2({ channel_id: ref.channel, thread_ts: ref.ts, file: image.png, filename: image.filename, title: image.title, alt_text: clip(image.alt, 1000) }),
    );
  }

  async notify(channelOrUserId: string, text: string): Promise<void> {
    await this.#pace(channelOrUserId);
    const posted = (await this.#call('chat.postMessage', { channel: channelOrUserId, text: clip(text, 3000) })) as (WebAPICallResult & { channel?: string }) | undefined;
    if (posted?.channel) this.#rememberChannelId(channelOrUserId, posted.channel);
  }

  #takeUpdateToken(): void {
    const now = this.#now();
    // A clock stepped back (NTP, a virtual clock) must not count updates "from the future" against this minute.
    const refilledAt = Math.min(this.#updateTokensAt ?? now, now);
    this.#recentUpdates = this.#recentUpdates.filter((at) => at > now - 60_000 && at <= now);
    let waitMs = 0;
    if (this.#recentUpdates.length >= this.#updatesPerMinute) waitMs = this.#recentUpdates[0]! + 60_000 - now;
    const spread = this.#updateBurst < this.#updatesPerMinute;
    if (spread) {
      // A bucket of `burst` refilled at (budget − burst) a minute: any minute holds at most the
      // tokens in hand at its start plus the refills during it, i.e. the budget.
      const refillMs = 60_000 / (this.#updatesPerMinute - this.#updateBurst);
      this.#updateTokens = Math.min(this.#updateBurst, this.#updateTokens + (now - refilledAt) / refillMs);
      this.#updateTokensAt = now;
      if (this.#updateTokens < 1) waitMs = Math.max(waitMs, (1 - this.#updateTokens) * refillMs);
    }
    if (waitMs > 0) throw new ChatRateLimitedError('chat.update', Math.max(1, Math.ceil(waitMs / 1000)));
    if (spread) this.#updateTokens -= 1;
    this.#recentUpdates.push(now);
  }

  #rememberChannelId(requested: string, id: string): void {
    if (requested === id || this.#channelIds.get(requested) === id) return;
    this.#channelIds.set(requested, id);
    // The post just made under the name counts against the id's pace from now on.
    const byName = this.#lastPostAt.get(requested);
    if (byName !== undefined) this.#lastPostAt.set(id, Math.max(byName, this.#lastPostAt.get(id) ?? byName));
  }

  /**
   * Ends the waits between posts: a stopping process must not hold its shutdown for the queue of
   * posts a channel's pace has spread over the next seconds (a chat batch holds up to 20). A post
   * waiting its turn throws ChatStoppedError and stays in the outbox; one already sent is done.
   */
  stop(): void {
    this.#stopping.abort();
  }

  readonly #stopping = new AbortController();

  async #pace(channel: string): Promise<void> {
    if (this.#minPostIntervalMs <= 0) return;
    const key = this.#channelIds.get(channel) ?? channel;
    const last = this.#lastPostAt.get(key);
    const now = this.#now();
    const wait = last === undefined ? 0 : last + this.#minPostIntervalMs - now;
    this.#lastPostAt.set(key, now + Math.max(0, wait));
    if (wait > 0) await this.#waitTurn(wait);
  }

  #waitTurn(ms: number): Promise<void> {
    const stopping = this.#stopping.signal;
    return new Promise((resolve, reject) => {
      const stopped = () => reject(new ChatStoppedError('chat.postMessage'));
      if (stopping.aborted) return stopped();
      stopping.addEventListener('abort', stopped, { once: true });
      this.#sleep(ms).then(() => {
        stopping.removeEventListener('abort', stopped);
        resolve();
      }, reject);
    });
  }

  /** Calls a method; answers undefined for one of the `tolerated` Slack errors, throws typed errors otherwise. */
  async #call(method: string, args: Record<string, unknown>, tolerated: string[] = []): Promise<WebAPICallResult | undefined> {
    return this.#guard(method, () => this.#client.apiCall(method, args), tolerated);
  }

  async #guard<T>(method: string, call: () => Promise<T>, tolerated: string[] = []): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      const coded = error as { code?: string; retryAfter?: number; data?: { error?: string } };
      if (coded.code === ErrorCode.RateLimitedError) throw new ChatRateLimitedError(method, coded.retryAfter ?? 1);
      if (coded.code === ErrorCode.PlatformError) {
        const slackError = coded.data?.error ?? 'unknown_error';
        if (tolerated.includes(slackError)) return undefined;
        throw new ChatRefusedError(method, slackError);
      }
      throw error;
    }
  }
}

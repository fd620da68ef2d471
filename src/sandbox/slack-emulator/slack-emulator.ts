import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkMessageBlocks, checkView } from './block-kit-rules.js';
import { signedHeaders } from './signing.js';
import { SocketModeConnection, type EnvelopeType } from './socket-mode-server.js';

/**
 * A local stand-in for the part of Slack the app talks to, in both directions:
 * - the Web API (`/api/<method>`), keeping channels, messages, threads, ephemeral messages, open
 *   modals and each user's App Home in memory, and checking arguments and Block Kit the way Slack
 *   would (in strict mode a violation answers `ok: false` and is recorded for tests to assert on);
 * - Slack's requests to the app: slash commands, button clicks, modal submissions and events, signed
 *   exactly as Slack signs them, built from the blocks the app actually posted.
 */

type Json = Record<string, unknown>;

export interface EmulatedUser {
  id: string;
  name: string;
  realName?: string;
  /** The profile e-mail, found by users.lookupByEmail. */
  email?: string;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  isDm: boolean;
}

export interface EmulatedMessage {
  channel: string;
  ts: string;
  /** The parent's ts for a thread reply. */
  threadTs?: string;
  text: string;
  blocks: Json[];
  /** Who posted: the bot's user id for the app's messages. */
  user: string;
  /** How many times chat.update changed it. */
  updates: number;
  /** Files shared with the message (files.completeUploadExternal). */
  files?: EmulatedFileRef[];
}

/** A file as a message carries it: what Slack's file object says, and where the emulator serves its bytes. */
export interface EmulatedFileRef {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  size: number;
  altText?: string;
  /** Served by the emulator (GET), like Slack's url_private. */
  url: string;
}

/** An upload in its three steps: URL issued, bytes received, completed (shared). */
export interface EmulatedFile {
  id: string;
  filename: string;
  /** The length announced to files.getUploadURLExternal. */
  length: number;
  altText?: string;
  title?: string;
  bytes?: Buffer;
  mimetype?: string;
  completed: boolean;
}

export interface EmulatedEphemeral {
  id: number;
  channel: string;
  user: string;
  text: string;
  blocks: Json[];
  /** How it arrived: chat.postEphemeral, the HTTP answer to a command (ack) or a response_url. */
  via: 'chat.postEphemeral' | 'ack' | 'response_url';
  ts: string;
}

export interface EmulatedView {
  id: string;
  type: 'modal' | 'home';
  user: string;
  view: Json;
  hash: string;
  /** Set when the app answered a submission with errors. */
  errors?: Record<string, string>;
}

export interface ApiCall {
  method: string;
  args: Json;
  ok: boolean;
  error?: string;
  /** When the call arrived (wall milliseconds), for budgets over time. */
  at: number;
}

export interface Violation {
  method: string;
  error: string;
  problems: string[];
}

export type EmulatorChange =
  | { kind: 'message_posted'; message: EmulatedMessage }
  | { kind: 'message_updated'; message: EmulatedMessage }
  | { kind: 'ephemeral'; ephemeral: EmulatedEphemeral }
  | { kind: 'view_opened' | 'view_updated' | 'view_closed'; view: EmulatedView }
  | { kind: 'home_published'; view: EmulatedView }
  | { kind: 'channel_created'; channel: EmulatedChannel }
  | { kind: 'violation'; violation: Violation };

export interface SlackEmulatorOptions {
  /** Signs requests to the app. */
  signingSecret: string;
  /** The token the app must present; any token is accepted when omitted. */
  botToken?: string;
  /** Scopes granted to the bot token; absent = all. A method needing another answers missing_scope. */
  botScopes?: string[];
  /**
   * The app-level token (xapp-…) for Socket Mode. Once the app has connected with it, everything
   * Slack sends the app goes over the socket instead of HTTP, as with Socket Mode enabled.
   */
  appToken?: string;
  /** Violations answer ok:false and are recorded (tests); otherwise they are only recorded. */
  strict?: boolean;
  users?: EmulatedUser[];
  /** User-group id → member user ids. */
  userGroups?: Record<string, string[]>;
  /** Channels known from the start (names without '#'). */
  channels?: Array<{ id?: string; name: string }>;
  /** Unknown channel names are created on first post (the sandbox); strict Slack says channel_not_found. */
  autoCreateChannels?: boolean;
  /** Where Slack sends requests to the app (its /slack/events URL); can be set later with setAppUrl. */
  appUrl?: string;
  teamId?: string;
  botUserId?: string;
}

export interface AppResponse {
  status: number;
  /** The app's HTTP answer, parsed as JSON when it is JSON. */
  body: unknown;
}

export interface DeliverOptions {
  timestampSeconds?: number;
  retryNum?: number;
  /** Replaces the computed signature (forgery tests). */
  signature?: string;
}

/** What a view_submission carries: per action_id, a text value or a selected option value. */
export type ViewValues = Record<string, string>;

const REQUIRED_ARGS: Record<string, string[]> = {
  'auth.test': [],
  'apps.connections.open': [],
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'chat.postEphemeral': ['channel', 'user'],
  'chat.getPermalink': ['channel', 'message_ts'],
  'views.open': ['trigger_id', 'view'],
  'views.push': ['trigger_id', 'view'],
  'views.publish': ['user_id', 'view'],
  'views.update': ['view'],
  'usergroups.users.list': ['usergroup'],
  'users.info': ['user'],
  'users.lookupByEmail': ['email'],
  'conversations.info': ['channel'],
  'files.getUploadURLExternal': ['filename', 'length'],
  'files.completeUploadExternal': ['files'],
};

/** Scopes a method needs beyond the basics (the spec's `security` of each method). */
const REQUIRED_SCOPES: Record<string, string> = {
  'users.lookupByEmail': 'users:read.email',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};

/** Arguments Slack sends as JSON inside a form field. */
const JSON_ARGS = new Set(['blocks', 'view', 'attachments', 'metadata', 'files']);

class ApiRefusal extends Error {
  constructor(
    readonly error: string,
    readonly problems: string[] = [],
    readonly violation = true,
  ) {
    super(error);
  }
}

export class SlackEmulator {
  readonly teamId: string;
  readonly botUserId: string;
  readonly strict: boolean;
  readonly calls: ApiCall[] = [];
  readonly violations: Violation[] = [];
  readonly ephemerals: EmulatedEphemeral[] = [];
  /** The last request sent to the app, to replay it (retry and replay tests). */
  lastDelivery: { body: string; contentType: string } | undefined;

  readonly #options: SlackEmulatorOptions;
  readonly #events = new EventEmitter();
  readonly #users = new Map<string, EmulatedUser>();
  readonly #userGroups = new Map<string, string[]>();
  readonly #channels = new Map<string, EmulatedChannel>();
  readonly #messages = new Map<string, EmulatedMessage[]>();
  readonly #views = new Map<string, EmulatedView>();
  readonly #homes = new Map<string, EmulatedView>();
  readonly #files = new Map<string, EmulatedFile>();
  readonly #triggers = new Map<string, { user: string; used: boolean }>();
  readonly #responseUrls = new Map<string, { channel: string; user: string; uses: number; message?: { channel: string; ts: string } }>();
  readonly #rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  #server: Server | undefined;
  #socket: SocketModeConnection | undefined;
  #baseUrl = '';
  #appUrl: string | undefined;
  #counter = 0;
  #clockSeconds = Math.floor(Date.now() / 1000);

  constructor(options: SlackEmulatorOptions) {
    this.#options = options;
    this.strict = options.strict ?? false;
    this.teamId = options.teamId ?? 'T0DELIVERY';
    this.botUserId = options.botUserId ?? 'U0DELIVBOT';
    this.#appUrl = options.appUrl;
    this.#events.setMaxListeners(100);
    for (const user of options.users ?? []) this.#users.set(user.id, user);
    for (const [group, members] of Object.entries(options.userGroups ?? {})) this.#userGroups.set(group, [...members]);
    for (const channel of options.channels ?? []) this.addChannel(channel.name, channel.id);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string; apiUrl: string }> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'internal_error', detail: String(error) }));
      });
    });
    server.on('upgrade', (req, socket) => {
      if (!(req.url ?? '').startsWith('/socket-mode/')) return socket.destroy();
      this.#socket?.close();
      this.#socket = SocketModeConnection.accept(req, socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    const address = server.address() as AddressInfo;
    this.#baseUrl = `http://${host}:${address.port}`;
    return { url: this.#baseUrl, apiUrl: this.apiUrl };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#socket?.close();
    this.#socket = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The Web API base for the app's WebClient (`slackApiUrl`), ending with a slash. */
  get apiUrl(): string {
    return `${this.#baseUrl}/api/`;
  }

  setAppUrl(url: string): void {
    this.#appUrl = url;
  }

  /** True while an app is connected in Socket Mode. */
  get socketConnected(): boolean {
    return this.#socket?.open ?? false;
  }

  // ── directory ───────────────────────────────────────────────────────────────────────────────

  addUser(user: EmulatedUser): void {
    this.#users.set(user.id, user);
  }

  setUserGroup(groupId: string, members: string[]): void {
    this.#userGroups.set(groupId, [...members]);
  }

  addChannel(name: string, id?: string): EmulatedChannel {
    const clean = name.replace(/^#/, '');
    const existing = [...this.#channels.values()].find((channel) => channel.name === clean);
    if (existing) return existing;
    const channel: EmulatedChannel = { id: id ?? `C${String(++this.#counter).padStart(8, '0')}`, name: clean, isDm: false };
    this.#channels.set(channel.id, channel);
    this.#messages.set(channel.id, []);
    this.#emit({ kind: 'channel_created', channel });
    return channel;
  }

  channels(): EmulatedChannel[] {
    return [...this.#channels.values()];
  }

  /** A channel by id, by name or '#name'. */
  channel(idOrName: string): EmulatedChannel | undefined {
    return this.#channels.get(idOrName) ?? [...this.#channels.values()].find((channel) => channel.name === idOrName.replace(/^#/, ''));
  }

  users(): EmulatedUser[] {
    return [...this.#users.values()];
  }

  // ── what the app did ────────────────────────────────────────────────────────────────────────

  /** Top-level messages of a channel, oldest first. */
  messages(channel: string): EmulatedMessage[] {
    const found = this.channel(channel);
    return (found ? (this.#messages.get(found.id) ?? []) : []).filter((message) => message.threadTs === undefined);
  }

  /** Replies in a message's thread, oldest first. */
  thread(channel: string, ts: string): EmulatedMessage[] {
    const found = this.channel(channel);
    return (found ? (this.#messages.get(found.id) ?? []) : []).filter((message) => message.threadTs === ts);
  }

  message(channel: string, ts: string): EmulatedMessage | undefined {
    const found = this.channel(channel);
    return found ? this.#messages.get(found.id)?.find((message) => message.ts === ts) : undefined;
  }

  /** Direct messages the bot sent to a user. */
  directMessages(userId: string): EmulatedMessage[] {
    return this.messages(`D${userId.slice(1)}`);
  }

  ephemeralsFor(user: string): EmulatedEphemeral[] {
    return this.ephemerals.filter((ephemeral) => ephemeral.user === user);
  }

  view(viewId: string): EmulatedView | undefined {
    return this.#views.get(viewId);
  }

  /** The open modal of a user, the most recent first. */
  openViews(user: string): EmulatedView[] {
    return [...this.#views.values()].filter((view) => view.user === user).reverse();
  }

  home(user: string): EmulatedView | undefined {
    return this.#homes.get(user);
  }

  /** An uploaded file by id (its bytes once the upload step ran). */
  file(id: string): EmulatedFile | undefined {
    return this.#files.get(id);
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Subscribes to every change (for a browser console); returns the unsubscribe function. */
  subscribe(listener: (change: EmulatorChange) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  // ── fault injection ─────────────────────────────────────────────────────────────────────────

  /** The next `times` calls of `method` answer HTTP 429 with Retry-After. */
  rateLimit(method: string, times = 1, retryAfterSeconds = 1): void {
    this.#rateLimits.set(method, { times, retryAfterSeconds });
  }

  // ── Slack → app ─────────────────────────────────────────────────────────────────────────────

  /** Sends a slash command as Slack does (form-encoded, signed). The app's answer is recorded as an ephemeral message. */
  async sendCommand(user: string, command: string, text: string, channel = 'general', options: DeliverOptions = {}): Promise<AppResponse> {
    const target = this.#resolveChannel(channel, true);
    const trigger = this.#issueTrigger(user);
    const responseUrl = this.#issueResponseUrl({ channel: target.id, user });
    const form = new URLSearchParams({
      token: 'verification-token',
      team_id: this.teamId,
      team_domain: 'delivery',
      channel_id: target.id,
      channel_name: target.name,
      user_id: user,
      user_name: this.#users.get(user)?.name ?? user.toLowerCase(),
      command: command.startsWith('/') ? command : `/${command}`,
      text,
      api_app_id: 'A0DELIVERY',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: trigger,
    });
    const response = await this.deliver(form.toString(), 'application/x-www-form-urlencoded', options);
    this.#recordAck(response, target.id, user);
    return response;
  }

  /**
   * Clicks a button the app posted, as Slack does (block_actions). `target` is a message or an
   * ephemeral message from this emulator, or a view (modal or App Home). Throws when no element
   * with that action_id is on it: a test can only press what a user could see.
   */
  async clickButton(
    user: string,
    target: EmulatedMessage | EmulatedEphemeral | EmulatedView,
    actionId: string,
    value?: string,
    options: DeliverOptions = {},
  ): Promise<AppResponse> {
    const blocks = 'view' in target ? ((target.view.blocks as Json[] | undefined) ?? []) : target.blocks;
    // A client sends the element as it rendered it: a press on a render that an update had not yet
    // replaced carries that render's value, as it does in Slack.
    const found =
      findElement(blocks, (element) => element.action_id === actionId && (value === undefined || element.value === value)) ??
      findElement(blocks, (element) => element.action_id === actionId && element.type === 'button');
    if (!found) throw new Error(`no element with action_id ${actionId} on this surface`);
    const { block } = found;
    const element = value === undefined || found.element.type !== 'button' ? found.element : { ...found.element, value };
    const actionTs = this.#nextTs();
    const action: Json = {
      type: element.type,
      action_id: actionId,
      block_id: block.block_id ?? `b${this.#counter}`,
      action_ts: actionTs,
      ...(element.type === 'button' ? { text: element.text, value: element.value } : {}),
      ...(element.type === 'static_select' || element.type === 'overflow'
        ? { selected_option: (element.options as Json[]).find((option) => option.value === value) ?? (element.options as Json[])[0] }
        : {}),
    };
    const base: Json = {
      type: 'block_actions',
      user: { id: user, username: this.#users.get(user)?.name ?? user.toLowerCase(), name: this.#users.get(user)?.name ?? user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'A0DELIVERY',
      token: 'verification-token',
      team: { id: this.teamId, domain: 'delivery' },
      enterprise: null,
      is_enterprise_install: false,
      trigger_id: this.#issueTrigger(user),
      actions: [action],
    };
    let payload: Json;
    if ('view' in target) {
      payload = {
        ...base,
        container: { type: 'view', view_id: target.id },
        view: this.#viewPayload(target, {}),
      };
    } else if ('via' in target) {
      const channel = this.#channels.get(target.channel);
      payload = {
        ...base,
        container: { type: 'message', message_ts: target.ts, channel_id: target.channel, is_ephemeral: true },
        channel: { id: target.channel, name: channel?.name ?? target.channel },
        response_url: this.#issueResponseUrl({ channel: target.channel, user }),
      };
    } else {
      const channel = this.#channels.get(target.channel);
      payload = {
        ...base,
        container: { type: 'message', message_ts: target.ts, channel_id: target.channel, is_ephemeral: false },
        channel: { id: target.channel, name: channel?.name ?? target.channel },
        message: { type: 'message', ts: target.ts, text: target.text, blocks: target.blocks, user: target.user, bot_id: 'B0DELIVBOT' },
        response_url: this.#issueResponseUrl({ channel: target.channel, user, message: { channel: target.channel, ts: target.ts } }),
      };
    }
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.deliver(body, 'application/x-www-form-urlencoded', options);
  }

  /**
   * Submits an open modal as Slack does (view_submission). `values` maps action_id → the typed text
   * or the selected option's value. The modal closes unless the app answers with errors, an update
   * or a push.
   */
  async submitView(user: string, viewId: string, values: ViewValues, options: DeliverOptions = {}): Promise<AppResponse> {
    const view = this.#views.get(viewId);
    if (!view) throw new Error(`no open view ${viewId}`);
    if (view.user !== user) throw new Error(`view ${viewId} belongs to ${view.user}, not ${user}`);
    const payload: Json = {
      type: 'view_submission',
      team: { id: this.teamId, domain: 'delivery' },
      user: { id: user, username: this.#users.get(user)?.name ?? user.toLowerCase(), name: this.#users.get(user)?.name ?? user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'A0DELIVERY',
      token: 'verification-token',
      trigger_id: this.#issueTrigger(user),
      view: this.#viewPayload(view, values),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const hashBefore = view.hash;
    const response = await this.deliver(body, 'application/x-www-form-urlencoded', options);
    const answer = response.body as Json | undefined;
    // Slack applies the HTTP answer before any views.update the app sends after it; here the
    // update may arrive first, and then it is the newer state.
    const updatedMeanwhile = view.hash !== hashBefore;
    if (response.status === 200) {
      const action = answer && typeof answer === 'object' ? answer.response_action : undefined;
      if (action === 'errors') {
        view.errors = answer?.errors as Record<string, string>;
        this.#emit({ kind: 'view_updated', view });
      } else if ((action === 'update' || action === 'push') && updatedMeanwhile) {
        delete view.errors;
      } else if (action === 'update' || action === 'push') {
        const next = answer?.view;
        const problems = checkView(next);
        if (problems.length > 0) this.#violate('view_submission.response', 'invalid_arguments', problems);
        else {
          view.view = next as Json;
          view.hash = this.#nextTs();
          delete view.errors;
          this.#emit({ kind: 'view_updated', view });
        }
      } else {
        this.#views.delete(viewId);
        this.#emit({ kind: 'view_closed', view });
      }
    }
    return response;
  }

  /** Opens the App Home tab (app_home_opened event, JSON, signed). */
  async openHome(user: string, options: DeliverOptions = {}): Promise<AppResponse> {
    const eventTs = this.#nextTs();
    const body = JSON.stringify({
      token: 'verification-token',
      team_id: this.teamId,
      api_app_id: 'A0DELIVERY',
      type: 'event_callback',
      event_id: `Ev${String(++this.#counter).padStart(8, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: eventTs, ...(this.#homes.get(user) ? { view: this.#homes.get(user)?.view } : {}) },
      authorizations: [{ team_id: this.teamId, user_id: this.botUserId, is_bot: true }],
    });
    return this.deliver(body, 'application/json', options);
  }

  /** Sends a raw body to the app, signed (or forged, stale, future-dated, retried through options). */
  async deliver(body: string, contentType: string, options: DeliverOptions = {}): Promise<AppResponse> {
    this.lastDelivery = { body, contentType };
    if (this.#socket?.open) return this.#deliverOverSocket(this.#socket, body, contentType, options);
    if (!this.#appUrl) throw new Error('the app URL is not set (setAppUrl), and no app is connected in Socket Mode');
    const headers = signedHeaders(this.#options.signingSecret, body, contentType, options);
    const response = await fetch(this.#appUrl, { method: 'POST', headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, body: parsed };
  }

  async #deliverOverSocket(socket: SocketModeConnection, body: string, contentType: string, options: DeliverOptions): Promise<AppResponse> {
    let type: EnvelopeType;
    let payload: unknown;
    if (contentType.includes('application/json')) {
      type = 'events_api';
      payload = JSON.parse(body);
    } else {
      const form = new URLSearchParams(body);
      const interactive = form.get('payload');
      type = interactive === null ? 'slash_commands' : 'interactive';
      payload = interactive === null ? Object.fromEntries(form.entries()) : JSON.parse(interactive);
    }
    const answer = await socket.deliver(type, payload, options.retryNum === undefined ? {} : { retryAttempt: options.retryNum });
    return { status: 200, body: answer ?? '' };
  }

  // ── Web API ─────────────────────────────────────────────────────────────────────────────────

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const bytes = await readBody(req);
    if (url.pathname.startsWith('/upload/')) return this.#receiveUpload(decodeURIComponent(url.pathname.slice('/upload/'.length)), bytes, req, res);
    if (url.pathname.startsWith('/files/') && req.method === 'GET') return this.#serveFile(decodeURIComponent(url.pathname.slice('/files/'.length).split('/')[0] ?? ''), res);
    const raw = bytes.toString('utf8');
    if (url.pathname.startsWith('/response/')) return this.#handleResponseUrl(url.pathname.slice('/response/'.length), raw, res);
    if (!url.pathname.startsWith('/api/')) return json(res, 404, { ok: false, error: 'not_found' });
    const method = url.pathname.slice('/api/'.length);
    const args = parseArgs(raw, req.headers['content-type'] ?? '', url.searchParams);
    const limited = this.#rateLimits.get(method);
    if (limited && limited.times > 0) {
      limited.times -= 1;
      this.calls.push({ method, args, ok: false, error: 'ratelimited', at: Date.now() });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limited.retryAfterSeconds) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    try {
      this.#checkAuth(req, args, method);
      for (const name of REQUIRED_ARGS[method] ?? []) {
        if (args[name] === undefined || args[name] === '') throw new ApiRefusal('invalid_arguments', [`${method}: missing required argument ${name}`]);
      }
      for (const name of JSON_ARGS) {
        if (typeof args[name] === 'string') {
          try {
            args[name] = JSON.parse(args[name] as string);
          } catch {
            throw new ApiRefusal(name === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments', [`${method}: ${name} is not JSON`]);
          }
        }
      }
      const result = this.#call(method, args);
      this.calls.push({ method, args, ok: true, at: Date.now() });
      json(res, 200, { ok: true, ...result });
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      this.calls.push({ method, args, ok: false, error: error.error, at: Date.now() });
      if (error.violation) this.#violate(method, error.error, error.problems);
      // Outside strict mode a malformed call still goes through where it can, so the sandbox keeps working.
      if (!this.strict && error.violation && error.error !== 'invalid_auth') {
        try {
          const result = this.#call(method, args);
          return json(res, 200, { ok: true, warning: error.error, ...result });
        } catch {
          // fall through to the refusal
        }
      }
      json(res, 200, { ok: false, error: error.error, response_metadata: { messages: error.problems } });
    }
  }

  #checkAuth(req: IncomingMessage, args: Json, method: string): void {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : (args.token as string | undefined);
    if (!token) throw new ApiRefusal('not_authed');
    if (method === 'apps.connections.open') {
      if (!token.startsWith('xapp-') || (this.#options.appToken && token !== this.#options.appToken)) throw new ApiRefusal('invalid_auth');
      return;
    }
    if (this.#options.botToken && token !== this.#options.botToken) throw new ApiRefusal('invalid_auth');
  }

  #call(method: string, args: Json): Json {
    switch (method) {
      case 'apps.connections.open':
        return { url: `${this.#baseUrl.replace(/^http/, 'ws')}/socket-mode/${String(++this.#counter)}` };
      case 'auth.test':
        return { url: 'https://delivery.slack.com/', team: 'Delivery', user: 'delivery', team_id: this.teamId, user_id: this.botUserId, bot_id: 'B0DELIVBOT' };
      case 'chat.postMessage':
        return this.#postMessage(args);
      case 'chat.update':
        return this.#updateMessage(args);
      case 'chat.postEphemeral': {
        const channel = this.#resolveChannel(String(args.channel));
        this.#checkMessageContent(args, 'chat.postEphemeral');
        const ephemeral = this.#addEphemeral(channel.id, String(args.user), args, 'chat.postEphemeral');
        return { message_ts: ephemeral.ts };
      }
      case 'chat.getPermalink': {
        const channel = this.#resolveChannel(String(args.channel));
        return { channel: channel.id, permalink: `https://delivery.slack.com/archives/${channel.id}/p${String(args.message_ts).replace('.', '')}` };
      }
      case 'views.open':
      case 'views.push':
        return this.#openView(args);
      case 'views.update':
        return this.#updateView(args);
      case 'views.publish':
        return this.#publishHome(args);
      case 'usergroups.users.list': {
        const members = this.#userGroups.get(String(args.usergroup));
        if (!members) throw new ApiRefusal('no_such_subteam', [], false);
        return { users: members };
      }
      case 'users.info': {
        const user = this.#users.get(String(args.user));
        if (!user) throw new ApiRefusal('user_not_found', [], false);
        return { user: { id: user.id, name: user.name, real_name: user.realName ?? user.name, team_id: this.teamId, profile: { display_name: user.name, real_name: user.realName ?? user.name } } };
      }
      case 'users.lookupByEmail': {
        this.#checkScope('users.lookupByEmail');
        const email = String(args.email).toLowerCase();
        const user = [...this.#users.values()].find((candidate) => candidate.email?.toLowerCase() === email);
        if (!user) throw new ApiRefusal('users_not_found', [], false);
        return {
          user: {
            id: user.id,
            team_id: this.teamId,
            name: user.name,
            deleted: false,
            real_name: user.realName ?? user.name,
            is_bot: false,
            profile: { display_name: user.name, real_name: user.realName ?? user.name, email: user.email },
          },
        };
      }
      case 'files.getUploadURLExternal':
        this.#checkScope(method);
        return this.#issueUploadUrl(args);
      case 'files.completeUploadExternal':
        this.#checkScope(method);
        return this.#completeUpload(args);
      case 'conversations.info': {
        const channel = this.#resolveChannel(String(args.channel));
        return { channel: { id: channel.id, name: channel.name, is_channel: !channel.isDm, is_im: channel.isDm } };
      }
      default:
        throw new ApiRefusal('unknown_method', [`${method} is not emulated`]);
    }
  }

  #checkScope(method: string): void {
    const scope = REQUIRED_SCOPES[method];
    // Slack's platform-wide answer for a token without the method's scope (not in the method's own error list).
    if (scope && this.#options.botScopes && !this.#options.botScopes.includes(scope)) throw new ApiRefusal('missing_scope', [`needed: ${scope}`], false);
  }

  // ── files: files.uploadV2 is getUploadURLExternal → POST the bytes → completeUploadExternal ──

  #issueUploadUrl(args: Json): Json {
    const length = Number(args.length);
    if (!Number.isInteger(length) || length <= 0) throw new ApiRefusal('invalid_arguments', ['files.getUploadURLExternal: length must be a positive integer']);
    const id = `F${String(++this.#counter).padStart(10, '0')}`;
    const altText = typeof args.alt_text === 'string' && args.alt_text !== '' ? args.alt_text : undefined;
    if (altText && altText.length > 1000) throw new ApiRefusal('invalid_arguments', ['files.getUploadURLExternal: alt_text longer than 1000']);
    this.#files.set(id, { id, filename: String(args.filename), length, ...(altText ? { altText } : {}), completed: false });
    return { upload_url: `${this.#baseUrl}/upload/${id}`, file_id: id };
  }

  async #receiveUpload(id: string, body: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = this.#files.get(id);
    if (req.method !== 'POST' || !file || file.completed) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such upload');
      return;
    }
    const contentType = req.headers['content-type'] ?? 'application/octet-stream';
    let bytes = body;
    // Slack takes the raw bytes or a multipart form with the file in one part (the Web API client sends the form).
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      const part = [...form.values()].find((value) => typeof value !== 'string');
      if (!part) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('no file in the form');
        return;
      }
      bytes = Buffer.from(await part.arrayBuffer());
    }
    if (bytes.length !== file.length) {
      this.#violate('files.upload', 'length_mismatch', [`upload ${id}: ${bytes.length} bytes sent, ${file.length} announced`]);
      if (this.strict) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('length mismatch');
        return;
      }
    }
    file.bytes = bytes;
    file.mimetype = sniffMimetype(bytes);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }

  #serveFile(id: string, res: ServerResponse): void {
    const file = this.#files.get(id);
    if (!file?.completed || !file.bytes) return json(res, 404, { ok: false, error: 'file_not_found' });
    res.writeHead(200, { 'content-type': file.mimetype ?? 'application/octet-stream', 'content-length': String(file.bytes.length), 'cache-control': 'private, max-age=3600' });
    res.end(file.bytes);
  }

  #completeUpload(args: Json): Json {
    const entries = args.files;
    if (!Array.isArray(entries) || entries.length === 0) throw new ApiRefusal('invalid_arguments', ['files.completeUploadExternal: files must be a non-empty JSON array of {id, title}']);
    const files = entries.map((entry) => {
      const id = typeof entry === 'object' && entry !== null ? String((entry as Json).id) : '';
      const file = this.#files.get(id);
      if (!file) throw new ApiRefusal('file_not_found', [`files.completeUploadExternal: no upload ${id}`]);
      if (!file.bytes) throw new ApiRefusal('file_upload_not_complete', [`files.completeUploadExternal: nothing was uploaded to ${id}'s URL`]);
      if (file.completed) throw new ApiRefusal('file_not_found', [`files.completeUploadExternal: ${id} was already completed`]);
      const title = (entry as Json).title;
      if (typeof title === 'string' && title !== '') file.title = title;
      return file;
    });
    const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
    const channelArg = typeof args.channel_id === 'string' && args.channel_id !== '' ? args.channel_id : typeof args.channels === 'string' && args.channels !== '' ? args.channels : undefined;
    if (threadTs && !channelArg) throw new ApiRefusal('invalid_arguments', ['files.completeUploadExternal: thread_ts needs channel_id']);
    for (const file of files) file.completed = true;
    const refs = files.map((file) => this.#fileRef(file));
    if (channelArg) {
      const channel = this.#resolveChannel(channelArg);
      const list = this.#messages.get(channel.id) ?? [];
      if (threadTs && !list.some((message) => message.ts === threadTs && message.threadTs === undefined)) {
        throw new ApiRefusal('thread_not_found', [`files.completeUploadExternal: no message ${threadTs} in ${channel.id}`]);
      }
      const message: EmulatedMessage = {
        channel: channel.id,
        ts: this.#nextTs(),
        ...(threadTs ? { threadTs } : {}),
        text: typeof args.initial_comment === 'string' ? args.initial_comment : '',
        blocks: [],
        user: this.botUserId,
        updates: 0,
        files: refs,
      };
      list.push(message);
      this.#messages.set(channel.id, list);
      this.#emit({ kind: 'message_posted', message });
    }
    return { files: refs.map((ref) => ({ id: ref.id, title: ref.title, name: ref.name, mimetype: ref.mimetype, size: ref.size, url_private: ref.url })) };
  }

  #fileRef(file: EmulatedFile): EmulatedFileRef {
    return {
      id: file.id,
      name: file.filename,
      title: file.title ?? file.filename,
      mimetype: file.mimetype ?? 'application/octet-stream',
      size: file.bytes?.length ?? 0,
      ...(file.altText ? { altText: file.altText } : {}),
      url: `${this.#baseUrl}/files/${file.id}/${encodeURIComponent(file.filename)}`,
    };
  }

  #postMessage(args: Json): Json {
    const channel = this.#resolveChannel(String(args.channel));
    this.#checkMessageContent(args, 'chat.postMessage');
    const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
    const list = this.#messages.get(channel.id) ?? [];
    if (threadTs && !list.some((message) => message.ts === threadTs && message.threadTs === undefined)) {
      throw new ApiRefusal('thread_not_found', [`chat.postMessage: no message ${threadTs} in ${channel.id}`]);
    }
    const message: EmulatedMessage = {
      channel: channel.id,
      ts: this.#nextTs(),
      ...(threadTs ? { threadTs } : {}),
      text: typeof args.text === 'string' ? args.text : '',
      blocks: Array.isArray(args.blocks) ? (args.blocks as Json[]) : [],
      user: this.botUserId,
      updates: 0,
    };
    list.push(message);
    this.#messages.set(channel.id, list);
    this.#emit({ kind: 'message_posted', message });
    return { channel: channel.id, ts: message.ts, message: { type: 'message', text: message.text, ts: message.ts, user: message.user, blocks: message.blocks } };
  }

  #updateMessage(args: Json): Json {
    const channel = this.#resolveChannel(String(args.channel));
    const message = this.#messages.get(channel.id)?.find((candidate) => candidate.ts === args.ts);
    if (!message) throw new ApiRefusal('message_not_found', [`chat.update: no message ${String(args.ts)} in ${channel.id}`]);
    this.#checkMessageContent(args, 'chat.update');
    if (typeof args.text === 'string') message.text = args.text;
    if (Array.isArray(args.blocks)) message.blocks = args.blocks as Json[];
    message.updates += 1;
    this.#emit({ kind: 'message_updated', message });
    return { channel: channel.id, ts: message.ts, text: message.text };
  }

  #checkMessageContent(args: Json, method: string): void {
    const hasText = typeof args.text === 'string' && args.text.length > 0;
    const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
    if (!hasText && !hasBlocks && args.attachments === undefined) throw new ApiRefusal('no_text', [`${method}: text or blocks required`]);
    if (typeof args.text === 'string' && args.text.length > 40_000) throw new ApiRefusal('msg_too_long', [`${method}: text longer than 40000`]);
    if (args.blocks !== undefined) {
      const problems = checkMessageBlocks(args.blocks).map((problem) => `${method}: ${problem}`);
      if (problems.length > 0) throw new ApiRefusal('invalid_blocks', problems);
    }
    // Without a top-level text, notifications and screen readers have nothing to say.
    if (hasBlocks && !hasText) throw new ApiRefusal('invalid_arguments', [`${method}: blocks without a fallback text`]);
  }

  #openView(args: Json): Json {
    const trigger = this.#triggers.get(String(args.trigger_id));
    if (!trigger) throw new ApiRefusal('invalid_trigger_id', ['views.open: unknown trigger_id']);
    if (trigger.used) throw new ApiRefusal('trigger_exchanged', ['views.open: trigger_id already used']);
    const problems = checkView(args.view);
    if (problems.length > 0) throw new ApiRefusal('invalid_arguments', problems);
    trigger.used = true;
    const view: EmulatedView = { id: `V${String(++this.#counter).padStart(8, '0')}`, type: 'modal', user: trigger.user, view: args.view as Json, hash: this.#nextTs() };
    this.#views.set(view.id, view);
    this.#emit({ kind: 'view_opened', view });
    return { view: this.#viewPayload(view, {}) };
  }

  #updateView(args: Json): Json {
    const id = typeof args.view_id === 'string' ? args.view_id : undefined;
    const view = id ? this.#views.get(id) : undefined;
    if (!view) throw new ApiRefusal('not_found', ['views.update: unknown view_id'], false);
    if (typeof args.hash === 'string' && args.hash !== view.hash) throw new ApiRefusal('hash_conflict', [], false);
    const problems = checkView(args.view);
    if (problems.length > 0) throw new ApiRefusal('invalid_arguments', problems);
    view.view = args.view as Json;
    view.hash = this.#nextTs();
    this.#emit({ kind: 'view_updated', view });
    return { view: this.#viewPayload(view, {}) };
  }

  #publishHome(args: Json): Json {
    const problems = checkView(args.view);
    if ((args.view as Json | undefined)?.type !== 'home') problems.push('views.publish: view.type must be home');
    if (problems.length > 0) throw new ApiRefusal('invalid_arguments', problems);
    const user = String(args.user_id);
    const previous = this.#homes.get(user);
    if (typeof args.hash === 'string' && previous && args.hash !== previous.hash) throw new ApiRefusal('hash_conflict', [], false);
    const view: EmulatedView = { id: previous?.id ?? `V${String(++this.#counter).padStart(8, '0')}`, type: 'home', user, view: args.view as Json, hash: this.#nextTs() };
    this.#homes.set(user, view);
    this.#emit({ kind: 'home_published', view });
    return { view: this.#viewPayload(view, {}) };
  }

  #handleResponseUrl(id: string, raw: string, res: ServerResponse): void {
    const entry = this.#responseUrls.get(id);
    if (!entry) return json(res, 404, { ok: false, error: 'expired_url' });
    entry.uses += 1;
    if (entry.uses > 5) return json(res, 404, { ok: false, error: 'used_url' });
    let body: Json;
    try {
      body = JSON.parse(raw) as Json;
    } catch {
      this.#violate('response_url', 'invalid_payload', ['response_url: body is not JSON']);
      return json(res, 400, { ok: false, error: 'invalid_payload' });
    }
    try {
      if (body.delete_original === true && entry.message) {
        const list = this.#messages.get(entry.message.channel) ?? [];
        this.#messages.set(entry.message.channel, list.filter((message) => message.ts !== entry.message?.ts));
        return json(res, 200, { ok: true });
      }
      this.#checkMessageContent(body, 'response_url');
      if (body.replace_original === true && entry.message) {
        this.#updateMessage({ channel: entry.message.channel, ts: entry.message.ts, text: body.text, blocks: body.blocks });
      } else if (body.response_type === 'in_channel') {
        this.#postMessage({ channel: entry.channel, text: body.text, blocks: body.blocks });
      } else {
        this.#addEphemeral(entry.channel, entry.user, body, 'response_url');
      }
      json(res, 200, { ok: true });
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      this.#violate('response_url', error.error, error.problems);
      json(res, 200, { ok: false, error: error.error });
    }
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  #recordAck(response: AppResponse, channel: string, user: string): void {
    if (response.status !== 200 || typeof response.body !== 'object' || response.body === null) {
      if (typeof response.body === 'string' && response.body.length > 0) this.#addEphemeral(channel, user, { text: response.body }, 'ack');
      return;
    }
    const body = response.body as Json;
    // An empty acknowledgement (Socket Mode sends `{}`) says nothing to the user.
    if (body.text === undefined && body.blocks === undefined) return;
    try {
      this.#checkMessageContent(body, 'command response');
      if (body.response_type === 'in_channel') this.#postMessage({ channel, text: body.text, blocks: body.blocks });
      else this.#addEphemeral(channel, user, body, 'ack');
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      this.#violate('command response', error.error, error.problems);
    }
  }

  #addEphemeral(channel: string, user: string, args: Json, via: EmulatedEphemeral['via']): EmulatedEphemeral {
    const ephemeral: EmulatedEphemeral = {
      id: ++this.#counter,
      channel,
      user,
      text: typeof args.text === 'string' ? args.text : '',
      blocks: Array.isArray(args.blocks) ? (args.blocks as Json[]) : [],
      via,
      ts: this.#nextTs(),
    };
    this.ephemerals.push(ephemeral);
    this.#emit({ kind: 'ephemeral', ephemeral });
    return ephemeral;
  }

  #resolveChannel(idOrName: string, create = false): EmulatedChannel {
    const found = this.channel(idOrName);
    if (found) return found;
    if (/^[UW][A-Z0-9]+$/.test(idOrName) || /^D[A-Z0-9]+$/.test(idOrName)) {
      const id = idOrName.startsWith('D') ? idOrName : `D${idOrName.slice(1)}`;
      // The user's DM opened by an earlier post keeps its history.
      const open = this.#channels.get(id);
      if (open) return open;
      const dm: EmulatedChannel = { id, name: `@${this.#users.get(`U${id.slice(1)}`)?.name ?? id}`, isDm: true };
      this.#channels.set(id, dm);
      this.#messages.set(id, []);
      return dm;
    }
    if (create || this.#options.autoCreateChannels !== false) {
      return /^[CG][A-Z0-9]{2,}$/.test(idOrName) ? this.addChannel(idOrName.toLowerCase(), idOrName) : this.addChannel(idOrName);
    }
    throw new ApiRefusal('channel_not_found', [`no channel ${idOrName}`], false);
  }

  #viewPayload(view: EmulatedView, values: ViewValues): Json {
    const blocks = (view.view.blocks as Json[] | undefined) ?? [];
    const state: Record<string, Record<string, Json>> = {};
    for (const block of blocks) {
      if (block.type !== 'input') continue;
      const element = block.element as Json;
      const blockId = String(block.block_id ?? '');
      const actionId = String(element.action_id ?? '');
      const value = values[actionId];
      if (element.type === 'static_select') {
        const option = (element.options as Json[]).find((candidate) => candidate.value === value) ?? (value === undefined ? (element.initial_option as Json | undefined) : undefined);
        state[blockId] = { [actionId]: { type: 'static_select', selected_option: option ?? null } };
      } else {
        state[blockId] = { [actionId]: { type: element.type, value: value ?? (element.initial_value as string | undefined) ?? null } };
      }
    }
    return {
      id: view.id,
      team_id: this.teamId,
      type: view.type,
      blocks,
      private_metadata: view.view.private_metadata ?? '',
      callback_id: view.view.callback_id ?? '',
      state: { values: state },
      hash: view.hash,
      title: view.view.title,
      app_id: 'A0DELIVERY',
      bot_id: 'B0DELIVBOT',
    };
  }

  #issueTrigger(user: string): string {
    const id = `${++this.#counter}.${Date.now()}.trigger`;
    this.#triggers.set(id, { user, used: false });
    return id;
  }

  #issueResponseUrl(entry: { channel: string; user: string; message?: { channel: string; ts: string } }): string {
    const id = `R${String(++this.#counter).padStart(8, '0')}`;
    this.#responseUrls.set(id, { ...entry, uses: 0 });
    return `${this.#baseUrl}/response/${id}`;
  }

  #nextTs(): string {
    this.#clockSeconds = Math.max(this.#clockSeconds, Math.floor(Date.now() / 1000));
    return `${this.#clockSeconds}.${String(++this.#counter).padStart(6, '0')}`;
  }

  #violate(method: string, error: string, problems: string[]): void {
    const violation: Violation = { method, error, problems };
    this.violations.push(violation);
    this.#emit({ kind: 'violation', violation });
  }

  #emit(change: EmulatorChange): void {
    this.#events.emit('change', change);
  }
}

function findElement(blocks: Json[], match: (element: Json) => boolean): { block: Json; element: Json } | undefined {
  for (const block of blocks) {
    const candidates: Json[] = [];
    if (Array.isArray(block.elements)) candidates.push(...(block.elements as Json[]));
    if (block.accessory && typeof block.accessory === 'object') candidates.push(block.accessory as Json);
    if (block.element && typeof block.element === 'object') candidates.push(block.element as Json);
    const element = candidates.find((candidate) => typeof candidate === 'object' && candidate !== null && match(candidate));
    if (element) return { block, element };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The type of an uploaded file from its first bytes, as Slack detects it. */
function sniffMimetype(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  return 'application/octet-stream';
}

function parseArgs(raw: string, contentType: string, query: URLSearchParams): Json {
  const args: Json = Object.fromEntries(query.entries());
  if (raw.length === 0) return args;
  if (contentType.includes('application/json')) {
    try {
      return { ...args, ...(JSON.parse(raw) as Json) };
    } catch {
      return args;
    }
  }
  return { ...args, ...Object.fromEntries(new URLSearchParams(raw).entries()) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, isValidSlackRequest } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SlackSurface } from '../../ports/telemetry.js';

/**
 * What reaches Bolt from Slack's HTTP endpoint must have the shape Bolt and our listeners read
 * without checking: Bolt dereferences `body.user`, `body.view`, `body.actions[0]` and `body.event`
 * in code nothing awaits, so a signed body of `null` or a `block_actions` without `user` would end
 * the process or answer 500. Signed requests of any other shape are refused here with a 400 and the
 * reason; unsigned ones (or signed over 5 minutes ago) with a 401 and no body, as Bolt answered them.
 * The signature is checked here once: Bolt's receiver is built not to check it again.
 */

/** Slack's largest payloads (a full modal state) are far below this. */
export const MAX_SLACK_BODY_BYTES = 1024 * 1024;

const id = z.string().min(1);
const user = z.looseObject({ id });
const actionSchema = z.looseObject({ action_id: id, block_id: z.string().optional(), type: z.string().optional() });
const stateValues = z.record(z.string(), z.record(z.string(), z.looseObject({})));

const slashCommand = z.looseObject({ command: z.string().startsWith('/'), user_id: id, channel_id: id, text: z.string().optional(), trigger_id: z.string().optional() });

/** What Bolt reads of every interactive payload before any listener runs (buildSource, getTypeAndConversation). */
const interactive = {
  user,
  team: z.looseObject({ id: z.string().optional() }).nullable().optional(),
  enterprise: z.looseObject({ id: z.string().optional() }).nullable().optional(),
  channel: z.looseObject({ id: z.string() }).optional(),
};
const objectOrText = z.union([z.string(), z.looseObject({})]);

const interaction = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('block_actions'), ...interactive, actions: z.array(actionSchema).min(1) }),
  z.looseObject({
    type: z.literal('view_submission'),
    ...interactive,
    view: z.looseObject({ id, callback_id: z.string(), state: z.looseObject({ values: stateValues }) }),
  }),
  z.looseObject({ type: z.literal('view_closed'), ...interactive, view: z.looseObject({ id, callback_id: z.string() }) }),
  z.looseObject({
    type: z.literal('event_callback'),
    authorizations: z.array(z.looseObject({})).optional(),
    event: z.looseObject({
      type: z.string().min(1),
      user: objectOrText.optional(),
      channel: objectOrText.optional(),
      item: z.looseObject({}).optional(),
      subteam: z.looseObject({}).optional(),
    }),
  }),
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string() }),
]);

/** Slack sends these to the events URL without wanting anything back. */
const ACKNOWLEDGED_ONLY = new Set(['app_rate_limited']);

export type Refusal = { status: number; reason: string };

/**
 * The verdict on one parsed body: undefined when it may go to Bolt, or the refusal. `body` is what
 * Bolt's own parser made of the request (the `payload` field of a form, or the JSON document).
 */
export function checkSlackBody(body: unknown): Refusal | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { status: 400, reason: `the body (or its payload field) must be a JSON object, not ${describe(body)}` };
  }
  const record = body as Record<string, unknown>;
  if (record.ssl_check === '1') return undefined;
  if ('command' in record) return firstProblem(slashCommand.safeParse(record), 'slash command');
  const type = record.type;
  if (typeof type !== 'string') return { status: 400, reason: 'the payload has no "type" (and is not a slash command)' };
  if (ACKNOWLEDGED_ONLY.has(type)) return { status: 200, reason: `${type} acknowledged` };
  const known = interaction.options.some((option) => option.shape.type.value === type);
  if (!known) return { status: 400, reason: `Durable Delivery does not handle "${type.slice(0, 60)}" payloads` };
  return firstProblem(interaction.safeParse(record), type);
}

function firstProblem(result: z.ZodSafeParseResult<unknown>, what: string): Refusal | undefined {
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.') || '(body)';
  return { status: 400, reason: `malformed ${what}: ${path}: ${issue.message}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export interface SlackBodyGuardOptions {
  paths: string[];
  signingSecret: string;
  logger: Logger;
  /** Told of every refusal (the request counter in /metrics). */
  onRefused?: (refusal: Refusal) => void;
  /** Told, for each signed request Bolt took, how long it took to answer (the ack time in /metrics). */
  onAnswered?: (surface: SlackSurface, seconds: number) => void;
  /**
   * The admission gate's fast answer: while `full()`, a slash command is acknowledged with
   * `busyAck` (a JSON body) here, without reaching Bolt, and `turnedAway()` is told.
   */
  overload?: { full(): boolean; busyAck: string; turnedAway(): void };
}

/**
 * Wraps Bolt's HTTPReceiver request listener: buffers the body (Bolt reuses a buffered `rawBody`),
 * checks the signature and the shape, and answers refusals itself.
 */
export function guardSlackBodies(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: SlackBodyGuardOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || !options.paths.includes(path)) {
      listener(req, res);
      return;
    }
    const received = performance.now();
    bufferBody(req)
      .then((rawBody) => {
        if (rawBody === 'too large') {
          refuse(res, { status: 413, reason: `the body is larger than ${MAX_SLACK_BODY_BYTES} bytes` }, options);
          return;
        }
        Object.assign(req, { rawBody });
        if (!isSigned(req, rawBody, options.signingSecret)) {
          // Nothing of the body's shape is revealed to whoever could not sign it.
          options.logger.warn('refused a Slack request that is not signed with the signing secret, or is too old');
          res.writeHead(401);
          res.end();
          return;
        }
        let body: unknown;
        try {
          body = HTTPModuleFunctions.parseHTTPRequestBody(req as Parameters<typeof HTTPModuleFunctions.parseHTTPRequestBody>[0]);
        } catch (error) {
          refuse(res, { status: 400, reason: `the body is not valid JSON: ${(error as Error).message}` }, options);
          return;
        }
        const refusal = checkSlackBody(body);
        if (refusal) {
          refuse(res, refusal, options);
          return;
        }
        const onAnswered = options.onAnswered;
        const surface = surfaceOf(body);
        if (onAnswered) res.once('finish', () => onAnswered(surface, (performance.now() - received) / 1000));
        const overload = options.overload;
        if (surface === 'command' && overload?.full()) {
          overload.turnedAway();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(overload.busyAck);
          return;
        }
        listener(req, res);
      })
      .catch((error: unknown) => {
        options.logger.warn({ err: error }, 'could not read a Slack request');
        if (!res.headersSent) refuse(res, { status: 400, reason: 'the request body could not be read' }, options);
      });
  };
}

/** Which kind of Slack request a parsed body is: a slash command, a button, a modal, an event. */
export function surfaceOf(body: unknown): SlackSurface {
  if (typeof body !== 'object' || body === null) return 'other';
  const { command, type } = body as { command?: unknown; type?: unknown };
  if (typeof command === 'string') return 'command';
  if (type === 'block_actions' || type === 'interactive_message' || type === 'block_suggestion') return 'action';
  if (type === 'view_submission' || type === 'view_closed') return 'view';
  if (type === 'event_callback' || type === 'url_verification') return 'event';
  return 'other';
}

function refuse(res: ServerResponse, refusal: Refusal, options: SlackBodyGuardOptions): void {
  if (refusal.status !== 200) {
    options.logger.warn({ status: refusal.status, reason: refusal.reason }, 'refused a Slack request');
    options.onRefused?.(refusal);
  }
  res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(refusal.status === 200 ? '' : refusal.reason);
}

function isSigned(req: IncomingMessage, rawBody: Buffer, signingSecret: string): boolean {
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({ signingSecret, body: rawBody.toString(), headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
}

function bufferBody(req: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is still read to its end (and dropped), so the refusal reaches the client.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_SLACK_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_SLACK_BODY_BYTES ? 'too large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

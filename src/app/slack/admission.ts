import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';
import { renderNotice } from '../../adapters/slack/blocks/ephemeral.js';
import type { ResponseUrls } from '../../adapters/slack/response-url.js';
import { ephemeral, messageArgs } from './slack-responses.js';

/** What an overloaded bot tells the person, at once and to them only; nothing was done. */
export const BUSY_MESSAGE = 'Durable Delivery is busy, try again in a moment. Nothing was done.';

/** Slash commands and button clicks in flight at once, by default, before new ones are turned away. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/**
 * Bounds the work the Slack edge has taken on: each slash command and button click holds a place
 * from its arrival until its listener has finished (ack, the unit of work, the reply). When every
 * place is taken, a new one is answered "busy" ephemerally instead of queueing without bound behind
 * the database — the person knows at once, and the backlog (and every ack behind it) stays bounded.
 */
export class AdmissionGate {
  #inFlight = 0;
  #turnedAway = 0;

  constructor(readonly capacity: number = DEFAULT_MAX_IN_FLIGHT) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`admission capacity must be a whole number ≥ 1, not ${capacity}`);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Inputs answered "busy" so far. */
  get turnedAway(): number {
    return this.#turnedAway;
  }

  /** Every place is taken: a new input would be turned away. */
  get full(): boolean {
    return this.#inFlight >= this.capacity;
  }

  tryEnter(): boolean {
    if (this.full) {
      this.#turnedAway += 1;
      return false;
    }
    this.#inFlight += 1;
    return true;
  }

  /** Counts an input turned away before it reached the gate itself (the HTTP edge's fast answer). */
  turnAway(logger: Logger): void {
    this.#turnedAway += 1;
    logTurnedAway(this, logger);
  }

  leave(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}

/**
 * The acknowledgement that tells a slash command's sender the bot is busy, as the HTTP body Bolt
 * writes for `ack(ephemeral(…))`: the HTTP edge answers it itself when the gate is full, before
 * Bolt parses the request again and runs its middleware, so overload costs little more than the
 * signature check.
 */
export const BUSY_COMMAND_ACK = JSON.stringify(ephemeral(renderNotice(BUSY_MESSAGE)));

/** Bolt global middleware admitting slash commands and button clicks through `gate`. */
export function admission(gate: AdmissionGate, logger: Logger, responseUrls: ResponseUrls): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    // Events, modal submissions and anything else are rare and pass: an event is acknowledged by
    // Bolt before any listener runs, and a modal's answer has its own shape.
    const admitted = 'command' in args || ('action' in args && args.body.type === 'block_actions');
    if (!admitted) return args.next();
    if (!gate.tryEnter()) {
      logTurnedAway(gate, logger);
      return answerBusy(args, logger, responseUrls);
    }
    try {
      await args.next();
    } finally {
      gate.leave();
    }
  };
}

function logTurnedAway(gate: AdmissionGate, logger: Logger): void {
  logger.warn({ inFlight: gate.inFlight, turnedAway: gate.turnedAway }, 'busy: a Slack input was turned away');
}

async function answerBusy(args: Parameters<Middleware<AnyMiddlewareArgs>>[0], logger: Logger, responseUrls: ResponseUrls): Promise<void> {
  const content = renderNotice(BUSY_MESSAGE);
  const cannotSay = (error: unknown) => logger.warn({ err: error }, 'could not say busy');
  if ('command' in args) {
    // The ack itself carries the answer: no further call to Slack while overloaded.
    await args.ack(ephemeral(content));
    return;
  }
  if (!('action' in args) || args.body.type !== 'block_actions') return;
  await args.ack();
  if (args.body.response_url) {
    // Kept-alive and without the Web API client's machinery: an overloaded bot says busy cheaply.
    await responseUrls.post(args.body.response_url, ephemeral(content)).catch(cannotSay);
    return;
  }
  const channel = args.body.channel?.id ?? args.body.container?.channel_id;
  if (channel) await args.client.chat.postEphemeral({ channel, user: args.body.user.id, ...messageArgs(content) }).catch(cannotSay);
}

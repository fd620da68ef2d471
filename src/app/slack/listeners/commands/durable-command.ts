import { hostname } from 'node:os';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { StoredCommand } from '../../../../ports/processed-requests.js';
import type { SlackDeps } from '../../slack-deps.js';
import { asCommandArgs, asSlackCommand } from '../../../../unchecked.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * How long a process holds an acknowledged command it is handling. Handling takes milliseconds;
 * past this, another process (or this one restarted) takes the command over. A dead owner on this
 * host is detected at once, without waiting for the lease.
 */
export const COMMAND_LEASE_MS = 15_000;

/** The longest the ack waits for the command to be stored: past it, a stuck store must not push the ack past Slack's 3 s. */
export const STORE_BEFORE_ACK_MS = 1_000;

/** Slack's response_url accepts answers for 30 minutes; older commands can no longer be answered. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

export const THIS_PROCESS = { host: hostname(), pid: process.pid };

/** Commands being handled again after a restart: the claim is already held, so it is not made twice. */
const recovered = new WeakSet<object>();

export function isRecovered(command: object): boolean {
  return recovered.has(command);
}

/** What is stored of a slash command: its form fields, enough to handle it again from scratch. */
export function storedCommand(command: CommandArgs['command']): StoredCommand {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(command)) if (typeof value === 'string') fields[name] = value;
  return { command: fields, owner: THIS_PROCESS };
}

/** True when `owner` is a process of this host that no longer runs. */
function ownerIsDead(owner: StoredCommand['owner']): boolean {
  if (owner.host !== THIS_PROCESS.host || owner.pid === THIS_PROCESS.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Handles again every acknowledged command a dead process left unhandled (its lease ran out, or its
 * owner is gone): the user first hears that the bot restarted while handling it, then the answer.
 * Handlers are idempotent where it matters (a deploy already started answers with its release).
 */
export async function recoverCommands(deps: SlackDeps, handlers: Record<string, (args: CommandArgs) => Promise<void>>, client: CommandArgs['client']): Promise<number> {
  const now = deps.clock.now();
  const waiting = await deps.requests.unhandledCommands(new Date(now.getTime() - RESPONSE_URL_LIFETIME_MS));
  let handled = 0;
  for (const entry of waiting) {
    const stale = entry.leaseUntil === null || entry.leaseUntil.getTime() <= now.getTime();
    if (!stale && !ownerIsDead(entry.stored.owner)) continue;
    const fields = entry.stored.command;
    const handler = handlers[fields.command ?? ''];
    if (!handler) continue;
    if (!(await deps.requests.takeOver(entry.key, entry.leaseUntil, new Date(now.getTime() + COMMAND_LEASE_MS)))) continue;
    const log = deps.logger.child({ command: fields.command, user: fields.user_id, key: entry.key });
    log.warn('handling an acknowledged command left unhandled by a stopped process');
    const responseUrl = fields.response_url;
    const respond = async (message: unknown) => {
      if (!responseUrl) return;
      await deps.responseUrls.post(responseUrl, message);
    };
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Durable Delivery restarted while handling your \`${fields.command} ${fields.text ?? ''}\`; it is handled now.`,
    }).catch((error: unknown) => log.warn({ err: error }, 'could not tell the user'));
    const command = asSlackCommand({ ...fields });
    recovered.add(command);
    const args = asCommandArgs({ command, body: command, payload: command, ack: async () => {}, respond, client, logger: deps.logger, context: {}, next: async () => {}, say: async () => ({}) });
    try {
      await handler(args);
      handled += 1;
    } catch (error) {
      log.error({ err: error }, 'could not handle a recovered command');
    }
  }
  return handled;
}

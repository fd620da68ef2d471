import type { App, BlockAction, SlackActionMiddlewareArgs, AllMiddlewareArgs } from '@slack/bolt';
import { ActionIds, CallbackIds } from '../../../adapters/slack/action-ids.js';
import { renderNotice } from '../../../adapters/slack/blocks/ephemeral.js';
import type { SlackDeps } from '../slack-deps.js';
import { ephemeral, messageArgs } from '../slack-responses.js';

/** Slack sends these when a person edits a modal's inputs; nothing is to be done until the submission. */
const MODAL_INPUT_IDS: readonly string[] = [ActionIds.deployService, ActionIds.deployVersion, ActionIds.deployEnvironment, ActionIds.supersedeService, ActionIds.supersedeVersion];

/** Matches none of `ids`: Bolt runs every listener whose constraint matches, so these must exclude the known ones. */
function noneOf(ids: readonly string[]): RegExp {
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?!(?:${escaped.join('|')})$)`);
}

/**
 * Answers for what no listener handles, so nothing waits out Slack's 3 s and ends in a 404: a button
 * or menu whose action_id the app does not know (a card from an older version, a forged payload)
 * is acknowledged and the presser is told; so is a modal with an unknown callback_id and a slash
 * command the app does not have.
 */
export function registerUnknownListeners(app: App, deps: SlackDeps, known: { actionIds: readonly string[]; commands: readonly string[] }): void {
  app.action<BlockAction>({ type: 'block_actions', action_id: noneOf([...known.actionIds, ...MODAL_INPUT_IDS]) }, unknownAction(deps));
  app.action<BlockAction>({ type: 'block_actions', action_id: new RegExp(`^(?:${MODAL_INPUT_IDS.join('|')})$`) }, async ({ ack }) => ack());

  app.view({ type: 'view_submission', callback_id: noneOf(Object.values(CallbackIds)) }, async ({ ack, view, body }) => {
    deps.logger.warn({ callbackId: view.callback_id, user: body.user.id }, 'a modal submission with an unknown callback_id');
    await ack({ response_action: 'clear' });
  });
  app.view({ type: 'view_closed', callback_id: /.*/ }, async ({ ack }) => ack());

  app.command(noneOf(known.commands), async ({ ack, command }) => {
    await ack(ephemeral(renderNotice(`Durable Delivery has no \`${command.command.slice(0, 40)}\` command. It knows ${known.commands.map((name) => `\`${name}\``).join(', ')}.`)));
  });
}

function unknownAction(deps: SlackDeps) {
  return async ({ ack, body, action, client }: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const actionId = 'action_id' in action ? String(action.action_id).slice(0, 60) : '(none)';
    deps.logger.warn({ actionId, user: body.user.id }, 'a block action with an unknown action_id');
    const channel = body.channel?.id ?? body.container?.channel_id;
    const notice = renderNotice(`That control (\`${actionId}\`) is not one Durable Delivery knows, so nothing was done. The message may be from an older version: use the latest release card or \`/release\`.`);
    if (!channel) return;
    await client.chat
      .postEphemeral({ channel, user: body.user.id, ...messageArgs(notice) })
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not answer an unknown action'));
  };
}

import type { BlockAction, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, AllMiddlewareArgs } from '@slack/bolt';
import { ActionIds } from '../../../adapters/slack/action-ids.js';
import { renderNotice } from '../../../adapters/slack/blocks/ephemeral.js';
import type { SlackDeps } from '../slack-deps.js';
import { ephemeral, messageArgs } from '../slack-responses.js';

/** Slack sends these when a person edits a modal's inputs; nothing is to be done until the submission. */
export const MODAL_INPUT_IDS: readonly string[] = [ActionIds.deployService, ActionIds.deployVersion, ActionIds.deployEnvironment, ActionIds.supersedeService, ActionIds.supersedeVersion];

/**
 * Answers for what no listener handles, so nothing waits out Slack's 3 s and ends in a 404: a button
 * or menu whose action_id the app does not know (a card from an older version, a forged payload)
 * is acknowledged and the presser is told; so is a modal with an unknown callback_id and a slash
 * command the app does not have. listeners/index.ts routes to these when no known listener matches.
 */
export function unknownListeners(deps: SlackDeps, known: { commands: readonly string[] }) {
  return {
    action: unknownAction(deps),
    /** A modal's input edited: nothing to do until the submission. */
    modalInput: async ({ ack }: { ack: () => Promise<void> }) => ack(),
    viewSubmission: async ({ ack, view, body }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
      deps.logger.warn({ callbackId: view.callback_id, user: body.user.id }, 'a modal submission with an unknown callback_id');
      await ack({ response_action: 'clear' });
    },
    viewClosed: async ({ ack }: { ack: () => Promise<void> }) => ack(),
    command: async ({ ack, command }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
      await ack(ephemeral(renderNotice(`Durable Delivery has no \`${command.command.slice(0, 40)}\` command. It knows ${known.commands.map((name) => `\`${name}\``).join(', ')}.`)));
    },
  };
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

import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { releaseActionFromId, type ReleaseButtonAction } from '../../../../adapters/slack/action-ids.js';
import { renderNotice, renderProblem } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { MessageContent } from '../../../../adapters/slack/blocks/block-kit.js';
import type { SlackDeps } from '../../slack-deps.js';
import { ephemeral, jsonText, messageArgs } from '../../slack-responses.js';
import { claimFirst } from '../request-key.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The button value the card renderer wrote (encodeButtonValue), parsed at the edge. */
const buttonValue = jsonText.pipe(z.object({ r: z.string().min(1), v: z.number().int().nonnegative() }));

const DONE: Record<ReleaseButtonAction, string> = {
  approve: 'You approved',
  pause: 'You paused',
  resume: 'You resumed',
  promote: 'You promoted the current stage of',
  rollback: 'Rolling back',
  abort: 'Aborting',
};

/**
 * Approve · Pause · Resume · Promote · Roll back · Abort on a release card. The key is the card
 * version the button was pressed on, so a double click or a retried delivery is handled once;
 * who may press what is decided by the engine from the config, and a refusal goes to the presser only.
 */
export function releaseCardButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    const kind = releaseActionFromId(action.action_id);
    const value = buttonValue.safeParse(action.value ?? '');
    if (!kind || !value.success) {
      await ack();
      deps.logger.warn({ actionId: action.action_id }, 'a release button with an unreadable value');
      return;
    }
    const { r: releaseId, v: version } = value.data;
    const user = body.user.id;
    // Acknowledge before touching the database: a busy store (a tick over thousands of releases)
    // must never push the ack past Slack's 3 s. The claim right after still makes a retry or a
    // double click act once.
    await ack();
    let first: boolean;
    try {
      first = await claimFirst(deps, `action:${releaseId}:${version}:${kind}:${user}`, 'slack_action');
    } catch {
      await tell(renderNotice('Durable Delivery cannot reach its database right now; nothing was done.'));
      return;
    }
    if (!first) return;

    async function tell(content: MessageContent): Promise<void> {
      const cannotSay = (error: unknown) => deps.logger.warn({ err: error }, 'could not answer a button');
      // A card in a channel has a response_url: one kept-alive POST, no Web API call.
      if (body.response_url) return deps.responseUrls.post(body.response_url, ephemeral(content)).catch(cannotSay);
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (!channel) return;
      await client.chat.postEphemeral({ channel, user, ...messageArgs(content) }).catch(cannotSay);
    }

    const log = deps.logger.child({ releaseId, action: kind, user });
    try {
      const actor = await deps.actors.resolve(user);
      const outcome =
        kind === 'rollback'
          ? await deps.releases.act({ verb: kind, actor, releaseId, reason: `rolled back from Slack by <@${user}>` })
          : await deps.releases.act({ verb: kind, actor, releaseId });
      if (outcome.kind === 'refused') {
        log.info({ code: outcome.code }, 'release action refused');
        await tell(renderProblem({ code: outcome.code, message: outcome.message }));
        return;
      }
      // The card itself updates through the outbox; this line confirms the press at once.
      await tell(renderNotice(`${DONE[kind]} release \`${releaseId}\`.`));
    } catch (error) {
      log.error({ err: error }, 'release action failed');
      await tell(renderNotice(`That did not go through: ${(error as Error).message}`));
    }
  };
}

import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { renderSupersedeForm } from '../../../../adapters/slack/blocks/supersede-modal.js';
import { supersedeCommandText } from '../../command-text.js';
import type { SlackDeps } from '../../slack-deps.js';
import { jsonText, messageArgs, slackView } from '../../slack-responses.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** What the card wrote into Roll forward… (encodeSupersedeValue): the release and, when they fit, what it ships of each service. */
const supersedeValue = jsonText.pipe(z.object({ r: z.string().regex(/^[\w-]{1,100}$/), s: z.record(z.string(), z.string()).optional() }));

/**
 * "Roll forward…" on a release card: opens the modal that asks which service the fix replaces and
 * its version. It changes nothing (the submission does, once), so a double click only opens the
 * form twice; it opens from the button alone, with nothing read first, because the trigger expires
 * three seconds after the click.
 */
export function supersedeButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const value = supersedeValue.safeParse(action.value ?? '');
    if (!value.success) {
      deps.logger.warn({ actionId: action.action_id }, 'a Roll forward button with an unreadable value');
      return;
    }
    const channel = body.channel?.id ?? body.container?.channel_id ?? null;
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: slackView(renderSupersedeForm({ releaseId: value.data.r, ships: value.data.s ?? {}, channel })) });
    } catch (error) {
      deps.logger.warn({ err: error, releaseId: value.data.r }, 'could not open the roll-forward form');
      if (!channel) return;
      const notice = renderNotice(`The roll-forward form could not open; type \`${supersedeCommandText(value.data.r, '<service>', '<version>')}\` instead.`);
      await client.chat.postEphemeral({ channel, user: body.user.id, ...messageArgs(notice) }).catch((tellError: unknown) => deps.logger.warn({ err: tellError }, 'could not answer a button'));
    }
  };
}

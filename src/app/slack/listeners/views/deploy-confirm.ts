import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import { renderNotice, renderProblem } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { SlackDeps } from '../../slack-deps.js';
import { jsonText, messageArgs } from '../../slack-responses.js';
import { startedNotice } from '../commands/deploy.js';
import { claimFirst } from '../request-key.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const metadata = jsonText.pipe(z.object({ service: z.string().min(1), version: z.string().min(1), environment: z.string().min(1), allowDowngrade: z.literal(true).optional() }));

/** "Deploy" on the plan preview: the modal closes and the release starts; the outcome comes as a DM. */
export function deployConfirmed(deps: SlackDeps) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const parsed = metadata.safeParse(view.private_metadata);
    if (!parsed.success) {
      await ack();
      deps.logger.warn('deploy confirmation without readable metadata');
      return;
    }
    const user = body.user.id;
    let first: boolean;
    try {
      first = await claimFirst(deps, `view:${view.id}:${view.hash}`, 'slack_view');
    } catch {
      await ack({ response_action: 'errors', errors: {} });
      return;
    }
    await ack();
    if (!first) return;
    // A preview that showed a downgrade was submitted with a button naming it: that is the confirmation.
    const { service, version, environment, allowDowngrade } = parsed.data;
    try {
      const actor = await deps.actors.resolve(user);
      const outcome = await deps.releases.act({ verb: 'deploy', actor, target: { kind: 'service', service, version }, environment, ...(allowDowngrade ? { allowDowngrade } : {}) });
      const content = outcome.kind === 'refused' ? renderProblem({ code: outcome.code, message: outcome.message }) : renderNotice(startedNotice(deps, outcome.view, outcome.existing));
      await client.chat.postMessage({ channel: user, ...messageArgs(content) });
    } catch (error) {
      deps.logger.error({ err: error }, 'deploy from the modal failed');
      await client.chat.postMessage({ channel: user, ...messageArgs(renderNotice(`The deploy did not start: ${(error as Error).message}`)) }).catch(() => {});
    }
  };
}

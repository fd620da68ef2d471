import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import { ActionIds, BlockIds } from '../../../../adapters/slack/action-ids.js';
import type { MessageContent } from '../../../../adapters/slack/blocks/block-kit.js';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { didYouMean } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { jsonText, messageArgs } from '../../slack-responses.js';
import { claimFirst } from '../request-key.js';
import { supersedeAndAnswer } from '../supersede-answer.js';
import { read, stateValues, versionText } from './view-state.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** What the modal carries (encodeSupersedeMetadata): the release, the card's channel, the services offered. */
const metadata = jsonText.pipe(z.object({ r: z.string().min(1), c: z.string().min(1).nullable(), s: z.array(z.string()).optional() }));

/**
 * "Roll forward" in the card's modal. A missing or unknown service and a malformed version are
 * field errors, the modal staying open; otherwise it closes and the release is superseded, once
 * however often the same submission arrives, and the presser hears the outcome (a refusal with its
 * code) in the card's channel.
 */
export function supersedeFormSubmitted(deps: SlackDeps) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const parsed = metadata.safeParse(view.private_metadata);
    if (!parsed.success) {
      await ack();
      deps.logger.warn('a roll-forward submission without readable metadata');
      return;
    }
    const { r: releaseId, c: channel, s: offered } = parsed.data;
    const values = stateValues.parse(view.state?.values);
    const service = read(values, BlockIds.supersedeService, ActionIds.supersedeService);
    const version = read(values, BlockIds.supersedeVersion, ActionIds.supersedeVersion);

    const errors: Record<string, string> = {};
    const services = offered ?? knownNames(deps.config).services;
    if (service === '') errors[BlockIds.supersedeService] = 'Choose the service the fix replaces.';
    else if (!services.includes(service)) {
      const suggestion = didYouMean(service, services);
      errors[BlockIds.supersedeService] = offered
        ? `Release ${releaseId} does not ship "${service}"; it ships ${offered.join(', ')}.`
        : `No service called "${service}".${suggestion ? ` Did you mean ${suggestion}?` : ''}`;
    }
    const versionCheck = versionText.safeParse(version);
    if (!versionCheck.success) errors[BlockIds.supersedeVersion] = versionCheck.error.issues[0]?.message ?? 'Invalid version';
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }

    // Acknowledged before the database is touched; the claim right after makes a second delivery of
    // this same submission (a double click, a retry) do nothing.
    await ack();
    const user = body.user.id;
    const tell = async (content: MessageContent): Promise<void> => {
      const sent = channel ? client.chat.postEphemeral({ channel, user, ...messageArgs(content) }) : client.chat.postMessage({ channel: user, ...messageArgs(content) });
      await sent.catch((error: unknown) => deps.logger.warn({ err: error }, 'could not answer a roll-forward'));
    };
    let first: boolean;
    try {
      first = await claimFirst(deps, `view:${view.id}:${view.hash}`, 'slack_view');
    } catch {
      await tell(renderNotice('Durable Delivery cannot reach its database right now; nothing was done.'));
      return;
    }
    if (!first) return;
    const log = deps.logger.child({ releaseId, service, user });
    try {
      const actor = await deps.actors.resolve(user);
      await tell(await supersedeAndAnswer(deps, actor, { releaseId, service, version }));
    } catch (error) {
      log.error({ err: error }, 'roll forward from the modal failed');
      await tell(renderNotice(`The roll forward did not go through: ${(error as Error).message}. Nothing was retried; look at the release card before trying again.`));
    }
  };
}

import type { MessageContent } from '../../../adapters/slack/blocks/block-kit.js';
import { renderNotice, renderProblem } from '../../../adapters/slack/blocks/ephemeral.js';
import type { Actor } from '../../../domain/release/types.js';
import { USAGE, didYouMean, supersedeCommandText } from '../command-text.js';
import type { SlackDeps } from '../slack-deps.js';
import { cardChannelOf, channelMention } from './commands/deploy.js';
import { refusal } from './commands/run-command.js';

export interface SupersedeRequest {
  releaseId: string;
  service: string;
  version: string;
}

/**
 * Rolls a release forward with a fix through the engine's one `act`, and says what happened: the
 * answer of `/release supersede` and of the card's Roll forward modal alike. A refusal that names a
 * wrong release or service says which one was probably meant (read only then).
 */
export async function supersedeAndAnswer(deps: SlackDeps, actor: Actor, request: SupersedeRequest): Promise<MessageContent> {
  const { releaseId, service, version } = request;
  const outcome = await deps.releases.act({ verb: 'supersede', actor, releaseId, service, version });
  if (outcome.kind === 'accepted') {
    const card = `Its card is in ${channelMention(cardChannelOf(deps, outcome.view))}.`;
    if (outcome.existing) return renderNotice(`Release \`${releaseId}\` already ships ${service}@${version}; nothing changed. ${card}`);
    return renderNotice(`Release \`${releaseId}\` now ships ${service}@${version} (version set #${outcome.view.versionSetId}): it rolls forward from the current stage. ${card}`);
  }
  switch (outcome.code) {
    case 'unknown_release': {
      const active = await deps.releases.listActive();
      const suggestion = didYouMean(releaseId, active.map((view) => view.id));
      return renderProblem({
        code: outcome.code,
        message: `There is no release \`${releaseId}\`.${active.length === 0 ? ' No release is in flight.' : ''}`,
        usage: USAGE.release,
        ...(suggestion ? { suggestion: supersedeCommandText(suggestion, service, version) } : {}),
      });
    }
    case 'not_in_release': {
      const ships = (await deps.releases.status(releaseId))?.changes.map((change) => change.service) ?? [];
      const suggestion = didYouMean(service, ships);
      return renderProblem({
        code: outcome.code,
        message: `${outcome.message}.${ships.length > 0 ? ` It ships ${ships.join(', ')}.` : ''}`,
        ...(suggestion ? { suggestion: supersedeCommandText(releaseId, suggestion, version) } : {}),
      });
    }
    default:
      return refusal(outcome);
  }
}

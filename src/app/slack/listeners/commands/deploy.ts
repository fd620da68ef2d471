import { renderDeployForm } from '../../../../adapters/slack/blocks/deploy-modal.js';
import { renderDowngradeConfirm } from '../../../../adapters/slack/blocks/downgrade-confirm.js';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { DeployTarget, ReleaseView } from '../../../../domain/release/types.js';
import { HELP, parseDeploy } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { ephemeral, slackView } from '../../slack-responses.js';
import { claimFirst } from '../request-key.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

/** Where a release's card lives, for the acknowledgement. */
export function cardChannelOf(deps: SlackDeps, view: ReleaseView): string {
  return deps.config.environments[view.targetEnvironment]?.channel ?? '#deploys';
}

/** A card channel as the answer names it: a `#name` as written, a channel id as a link. */
export function channelMention(channel: string): string {
  return channel.startsWith('#') ? channel : `<#${channel}>`;
}

/** The answer to an accepted deploy; a repeated request hears of the release it already started. */
export function startedNotice(deps: SlackDeps, view: ReleaseView, existing = false): string {
  const ships = view.changes.map((change) => `${change.service}@${change.to}`).join(', ');
  const card = `Its card is in ${channelMention(cardChannelOf(deps, view))}.`;
  if (existing) return `Already deploying: release \`${view.id}\` (${ships} → ${view.targetEnvironment}, ${view.summary}); no second release started. ${card}`;
  return `Release \`${view.id}\` planned: ${ships} → ${view.targetEnvironment} (${view.summary}). ${card}`;
}

/** `/deploy <service>@<version> [to <env>]`, `/deploy set <N> to <env>`, `/deploy` (modal). */
export function deployCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseDeploy(args.command.text, knownNames(deps.config));
    switch (parsed.kind) {
      case 'help':
        return runCommand(deps, args, { kind: 'help', help: HELP.deploy });
      case 'problem':
        return runCommand(deps, args, parsed);
      case 'modal': {
        // trigger_id lives 3 s: the modal opens right after the ack, before anything slow.
        if (!(await claimFirst(deps, `command:${args.command.trigger_id}`, 'slack_command'))) return args.ack();
        await args.ack();
        const names = knownNames(deps.config);
        try {
          await args.client.views.open({ trigger_id: args.command.trigger_id, view: slackView(renderDeployForm(names)) });
        } catch (error) {
          deps.logger.warn({ err: error }, 'could not open the deploy modal');
          await args.respond(ephemeral(renderNotice('The deploy form could not open; type `/deploy <service>@<version> to <env>` instead.'))).catch(() => {});
        }
        return;
      }
      case 'deploy':
      case 'deploy_set': {
        const target: DeployTarget =
          parsed.kind === 'deploy' ? { kind: 'service', service: parsed.service, version: parsed.version } : { kind: 'set', versionSetId: parsed.versionSetId };
        return runCommand(deps, args, {
          kind: 'work',
          run: async (actor) => {
            const outcome = await deps.releases.act({ verb: 'deploy', actor, target, environment: parsed.environment });
            if (outcome.kind === 'refused' && outcome.code === 'downgrade_unconfirmed' && outcome.downgrades) {
              return renderDowngradeConfirm({ message: outcome.message, downgrades: outcome.downgrades, target, environment: parsed.environment });
            }
            if (outcome.kind === 'refused') return refusal(outcome);
            return renderNotice(startedNotice(deps, outcome.view, outcome.existing));
          },
        });
      }
    }
  };
}

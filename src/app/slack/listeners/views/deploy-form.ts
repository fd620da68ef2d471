import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { ActionIds, BlockIds } from '../../../../adapters/slack/action-ids.js';
import { renderDeployForm, renderDeployPlanning, renderDeployPreview } from '../../../../adapters/slack/blocks/deploy-modal.js';
import { didYouMean } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { slackView } from '../../slack-responses.js';
import { read, stateValues, versionText } from './view-state.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * The /deploy form's submission: names are checked at once (errors next to the field); otherwise the
 * modal turns into "planning…" in the acknowledgement and the plan preview replaces it when ready.
 */
export function deployFormSubmitted(deps: SlackDeps) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const names = knownNames(deps.config);
    const values = stateValues.parse(view.state?.values);
    const service = read(values, BlockIds.deployService, ActionIds.deployService);
    const version = read(values, BlockIds.deployVersion, ActionIds.deployVersion);
    const environment = read(values, BlockIds.deployEnvironment, ActionIds.deployEnvironment);

    const errors: Record<string, string> = {};
    if (!names.services.includes(service)) {
      const suggestion = didYouMean(service, names.services);
      errors[BlockIds.deployService] = `No service called "${service}".${suggestion ? ` Did you mean ${suggestion}?` : ''}`;
    }
    const versionCheck = versionText.safeParse(version);
    if (!versionCheck.success) errors[BlockIds.deployVersion] = versionCheck.error.issues[0]?.message ?? 'Invalid version';
    if (!names.environments.includes(environment)) errors[BlockIds.deployEnvironment] = 'Choose an environment.';
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }

    await ack({ response_action: 'update', view: slackView(renderDeployPlanning({ service, version, environment })) });
    try {
      const actor = await deps.actors.resolve(body.user.id);
      const preview = await deps.releases.previewPlan({ actor, target: { kind: 'service', service, version }, environment });
      const next =
        preview.kind === 'planned'
          ? renderDeployPreview({ service, version, environment, summary: preview.summary, downgrades: preview.downgrades ?? [] })
          : renderDeployForm({ ...names, initial: { service, version, environment }, problem: preview.message });
      await client.views.update({ view_id: view.id, view: slackView(next) });
    } catch (error) {
      deps.logger.error({ err: error }, 'deploy preview failed');
      await client.views
        .update({ view_id: view.id, view: slackView(renderDeployForm({ ...names, initial: { service, version, environment }, problem: `Could not plan: ${(error as Error).message}` })) })
        .catch(() => {});
    }
  };
}

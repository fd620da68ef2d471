import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { renderAuditHistory } from '../../../../adapters/slack/blocks/audit-history.js';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { SlackDeps } from '../../slack-deps.js';
import { ephemeral, jsonText } from '../../slack-responses.js';
import { HISTORY_PAGE_SIZE } from '../commands/release.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The value renderAuditHistory wrote into the "Older entries" button. */
const pageValue = jsonText.pipe(
  z.object({
    service: z.string().optional(),
    environment: z.string().optional(),
    before: z.number().int().positive(),
    page: z.number().int().min(2),
  }),
);

/**
 * "Older entries" under `/release history`: replaces the ephemeral page with the next one. Reading
 * history changes nothing, so a repeated click only shows the same page again.
 */
export function auditHistoryOlder(deps: SlackDeps) {
  return async ({ ack, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const value = pageValue.safeParse(action.value ?? '');
    if (!value.success) {
      deps.logger.warn({ actionId: action.action_id }, 'a history button with an unreadable value');
      return;
    }
    const { before, page, ...rest } = value.data;
    const scope = {
      ...(rest.service && deps.config.services[rest.service] ? { service: rest.service } : {}),
      ...(rest.environment && deps.config.environments[rest.environment] ? { environment: rest.environment } : {}),
    };
    try {
      const content = renderAuditHistory(scope, await deps.audit.history({ ...scope, beforeId: before, limit: HISTORY_PAGE_SIZE }), page);
      await respond({ ...ephemeral(content), replace_original: true });
    } catch (error) {
      deps.logger.error({ err: error }, 'could not read the history');
      await respond(ephemeral(renderNotice('Durable Delivery cannot read its history right now; try again in a minute.'))).catch(() => {});
    }
  };
}

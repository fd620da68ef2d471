import type { MergeQueueCommands } from '../../src/app/slack/slack-deps.js';
import type { MergeQueueService } from '../../src/services/merge-queue/merge-queue-service.js';

/**
 * Checked by `tsc --noEmit` only: the merge queue service must meet the Slack surface's narrow
 * MergeQueueCommands port structurally, so the composition root can pass it as is.
 */
export const mergeQueueFitsSlackPort = (service: MergeQueueService): MergeQueueCommands => service;

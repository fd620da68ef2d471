export { ReleaseServiceDeployer } from './release-deployer.js';
export { ChatMergeQueueNotifier, type ChatMergeQueueNotifierOptions, type NotifyChannel } from './chat-notifier.js';
export {
  MergeQueueService,
  type EnqueueResult,
  type MergeQueueServiceDeps,
  type MergeQueueServiceOptions,
  type Refusal,
  type RemoveResult,
  type WebhookOutcome,
} from './merge-queue-service.js';
export type { Deployer, MergeQueueNotice, MergeQueueNotifier } from './ports.js';
export type { QueueView, QueueViewEntry, QueueViewQueue } from './view.js';
export type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';

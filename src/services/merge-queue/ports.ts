import type { MergeQueueNotice } from '../../domain/merge-queue/effects.js';

export type { MergeQueueNotice } from '../../domain/merge-queue/effects.js';

/** Ships a version set minted by the queue (config `mergeQueue.autoDeployTo`); the engine implements it. */
export interface Deployer {
  deployVersionSet(request: { versionSetId: number; environment: string }): Promise<
    { kind: 'accepted'; releaseId: string } | { kind: 'refused'; code: string; message: string }
  >;
}

export interface MergeQueueNotifier {
  notify(notice: MergeQueueNotice): Promise<void>;
}

import type { ChecksSummary, EjectReason } from './types.js';

/**
 * Batching: several entries tested together on a temporary branch cut from the base (or, when
 * speculating, from the batch ahead of it). A green batch merges in queue order; a red batch of one
 * ejects its entry; a red batch of several is bisected: its first half is tested again on its own and
 * its second half waits behind it, both kept apart from newcomers, until the culprit is alone.
 */

export interface BatchCandidate {
  id: number;
  suspectGroup: number | null;
}

/**
 * The branch a batch is tested on: CI must build `durable-delivery/queue/**`. It is created at the
 * finished batch commit in one ref update, so CI runs once per batch.
 */
export function batchBranchName(baseBranch: string, batchId: number): string {
  return `durable-delivery/queue/${baseBranch}/${batchId}`;
}

/**
 * The temporary ref a batch is built on, one pull request merged in at a time: CI must ignore
 * `durable-delivery/tmp/**` (each merge into it is a push). Reused by every batch of the queue.
 */
export function batchBuildRef(baseBranch: string): string {
  return `durable-delivery/tmp/${baseBranch}`;
}

/**
 * The next batch from the candidates (in queue order, all eligible and not yet batched): the front
 * suspect group if the front entry belongs to one, otherwise the front run of newcomers.
 */
export function planBatch(candidates: readonly BatchCandidate[], batchSize: number): number[] {
  const front = candidates[0];
  if (!front) return [];
  const group = front.suspectGroup;
  const picked: number[] = [];
  for (const candidate of candidates) {
    if (picked.length >= batchSize || candidate.suspectGroup !== group) break;
    picked.push(candidate.id);
  }
  return picked;
}

/**
 * Up to `depth` batches, each meant to be built on top of the one before it (speculative validation:
 * the second batch is tested as if the first had merged). Depth 1 is plain batching.
 */
export function planBatches(candidates: readonly BatchCandidate[], batchSize: number, depth: number): number[][] {
  const batches: number[][] = [];
  let rest = [...candidates];
  while (batches.length < depth && rest.length > 0) {
    const batch = planBatch(rest, batchSize);
    batches.push(batch);
    rest = rest.slice(batch.length);
  }
  return batches;
}

export type BatchDecision =
  | { kind: 'wait-for-checks'; waitingFor: string }
  | { kind: 'merge'; entryIds: number[] }
  | { kind: 'eject'; entryId: number; reason: EjectReason }
  | { kind: 'bisect'; retestFirst: number[]; thenRetest: number[] };

/** What to do with a batch given the checks on its branch head. */
export function decideBatch(entryIds: readonly number[], headSha: string, checks: ChecksSummary): BatchDecision {
  switch (checks.state) {
    case 'pending':
      return { kind: 'wait-for-checks', waitingFor: checks.waitingFor.join(', ') || 'checks to start' };
    case 'success':
      return { kind: 'merge', entryIds: [...entryIds] };
    case 'failure': {
      if (entryIds.length === 1) {
        return {
          kind: 'eject',
          entryId: entryIds[0]!,
          reason: {
            code: 'checks_failed',
            message: `required checks failed when it was tested on top of the base (${headSha.slice(0, 7)}): ${checks.failing.join(', ')}`,
          },
        };
      }
      const half = Math.ceil(entryIds.length / 2);
      return { kind: 'bisect', retestFirst: entryIds.slice(0, half), thenRetest: entryIds.slice(half) };
    }
  }
}

/**
 * The merge queues, as the release engine's outbox reaches them. Stopping or restarting the line
 * changes what every queue may do; without this, each queue would only notice at its next tick.
 */
export interface MergeQueues {
  /**
   * Runs a round of the queues' own work now, in the background: a held queue whose stop was
   * lifted advances, a running one holds. Never waits on GitHub.
   */
  lookAgain(): void;
}

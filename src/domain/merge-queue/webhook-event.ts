/** GitHub webhook deliveries the queue acts on, already verified and parsed at the edge (src/app/github). */
export type QueueWebhookEvent =
  | { kind: 'pull_labeled'; repo: string; pullNumber: number; label: string; sender: string }
  | { kind: 'pull_unlabeled'; repo: string; pullNumber: number; label: string; sender: string }
  | { kind: 'pull_closed'; repo: string; pullNumber: number; merged: boolean; sender: string }
  | { kind: 'pull_synchronized'; repo: string; pullNumber: number; headSha: string }
  /** check_suite / check_run / status completed: a hint that a tick may now make progress. */
  | { kind: 'checks_completed'; repo: string; sha: string }
  | { kind: 'ignored'; reason: string };

export type RequestSource = 'slack_command' | 'slack_action' | 'slack_view' | 'slack_event' | 'github_webhook' | 'scheduled_job';

/**
 * Remembers requests already handled (Slack retries, double clicks, replays). `claim` is the one
 * write a listener may do before acknowledging: the first caller wins, everyone after sees a duplicate.
 */
export interface ProcessedRequests {
  /** True for the first claim of `key`, false for every later one. */
  claim(key: string, source: RequestSource, at: Date): Promise<boolean>;
  /** Stores what the first handling answered, for a later look-up. */
  recordResponse(key: string, response: unknown): Promise<void>;
  responseOf(key: string): Promise<unknown>;
  /** Forgets keys older than `before` (Slack stops retrying after minutes; replays are refused by timestamp). */
  prune(before: Date): Promise<number>;
  /**
   * Claims `key` and stores the parsed command with it, held by this process until `leaseUntil`:
   * once this answers true, the command survives a crash. False for a duplicate.
   */
  claimCommand(key: string, source: RequestSource, at: Date, command: StoredCommand, leaseUntil: Date): Promise<boolean>;
  /** The stored command's handling finished (its answer sent). */
  markHandled(key: string, at: Date): Promise<void>;
  /** Stored commands never handled, received after `since`: those a dead process left behind, among others. */
  unhandledCommands(since: Date): Promise<UnhandledCommand[]>;
  /** Takes over an unhandled command whose lease is still `expectedLease`; false when another process took it first. */
  takeOver(key: string, expectedLease: Date | null, leaseUntil: Date): Promise<boolean>;
}

/** A slash command as received, with who was handling it. */
export interface StoredCommand {
  command: Record<string, string>;
  owner: { host: string; pid: number };
}

export interface UnhandledCommand {
  key: string;
  receivedAt: Date;
  leaseUntil: Date | null;
  stored: StoredCommand;
}

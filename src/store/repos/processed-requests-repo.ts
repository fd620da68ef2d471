import { eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../db.js';
import { processedRequests } from '../schema/requests.js';

export type RequestSource = 'slack_command' | 'slack_action' | 'slack_view' | 'slack_event' | 'github_webhook';

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
}

export class DrizzleProcessedRequests implements ProcessedRequests {
  constructor(private readonly db: DbOrTx) {}

  async claim(key: string, source: RequestSource, at: Date): Promise<boolean> {
    const inserted = await this.db
      .insert(processedRequests)
      .values({ key, source, receivedAt: at })
      .onConflictDoNothing()
      .returning({ key: processedRequests.key });
    return inserted.length === 1;
  }

  async recordResponse(key: string, response: unknown): Promise<void> {
    await this.db.update(processedRequests).set({ response }).where(eq(processedRequests.key, key));
  }

  async responseOf(key: string): Promise<unknown> {
    const [row] = await this.db.select({ response: processedRequests.response }).from(processedRequests).where(eq(processedRequests.key, key));
    return row?.response ?? undefined;
  }

  async prune(before: Date): Promise<number> {
    const deleted = await this.db.delete(processedRequests).where(lt(processedRequests.receivedAt, before)).returning({ key: processedRequests.key });
    return deleted.length;
  }
}

import { and, eq, gt, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db.js';
import { preparedStatement } from '../prepared.js';
import { processedRequests } from '../schema/requests.js';

export type { ProcessedRequests, RequestSource, StoredCommand, UnhandledCommand } from '../../ports/processed-requests.js';
import type { ProcessedRequests, RequestSource, StoredCommand, UnhandledCommand } from '../../ports/processed-requests.js';

/** Every button click's first statement. */
const claimKey = preparedStatement((db) =>
  db
    .insert(processedRequests)
    .values({ key: sql.placeholder('key'), source: sql.placeholder('source'), receivedAt: sql.placeholder('at') })
    .onConflictDoNothing()
    .returning({ key: processedRequests.key })
    .prepare('dd_claim_request'),
);

export class DrizzleProcessedRequests implements ProcessedRequests {
  constructor(private readonly db: DbOrTx) {}

  async claim(key: string, source: RequestSource, at: Date): Promise<boolean> {
    const inserted = await claimKey(this.db).execute({ key, source, at });
    return inserted.length === 1;
  }

  async recordResponse(key: string, response: unknown): Promise<void> {
    await this.db.update(processedRequests).set({ response }).where(eq(processedRequests.key, key));
  }

  async responseOf(key: string): Promise<unknown> {
    const [row] = await this.db.select({ response: processedRequests.response }).from(processedRequests).where(eq(processedRequests.key, key));
    return row?.response ?? undefined;
  }

  async claimCommand(key: string, source: RequestSource, at: Date, command: StoredCommand, leaseUntil: Date): Promise<boolean> {
    const inserted = await this.db
      .insert(processedRequests)
      .values({ key, source, receivedAt: at, command, leaseUntil })
      .onConflictDoNothing()
      .returning({ key: processedRequests.key });
    return inserted.length === 1;
  }

  async markHandled(key: string, at: Date): Promise<void> {
    await this.db.update(processedRequests).set({ handledAt: at, leaseUntil: null }).where(eq(processedRequests.key, key));
  }

  async unhandledCommands(since: Date): Promise<UnhandledCommand[]> {
    const rows = await this.db
      .select({ key: processedRequests.key, receivedAt: processedRequests.receivedAt, leaseUntil: processedRequests.leaseUntil, command: processedRequests.command })
      .from(processedRequests)
      .where(and(isNotNull(processedRequests.command), isNull(processedRequests.handledAt), gt(processedRequests.receivedAt, since)));
    return rows.map((row) => ({ key: row.key, receivedAt: row.receivedAt, leaseUntil: row.leaseUntil, stored: row.command as StoredCommand }));
  }

  async takeOver(key: string, expectedLease: Date | null, leaseUntil: Date): Promise<boolean> {
    const taken = await this.db
      .update(processedRequests)
      .set({ leaseUntil })
      .where(
        and(
          eq(processedRequests.key, key),
          isNull(processedRequests.handledAt),
          expectedLease ? eq(processedRequests.leaseUntil, expectedLease) : isNull(processedRequests.leaseUntil),
        ),
      )
      .returning({ key: processedRequests.key });
    return taken.length === 1;
  }

  async prune(before: Date): Promise<number> {
    const deleted = await this.db.delete(processedRequests).where(lt(processedRequests.receivedAt, before)).returning({ key: processedRequests.key });
    return deleted.length;
  }
}

import { gte } from 'drizzle-orm';
import type { AppHomeViewers } from '../../ports/app-homes.js';
import type { Db } from '../db.js';
import { appHomeViews } from '../schema/index.js';

export class DrizzleAppHomeViewers implements AppHomeViewers {
  constructor(private readonly db: Db) {}

  async opened(userId: string, at: Date): Promise<void> {
    await this.db.insert(appHomeViews).values({ userId, openedAt: at }).onConflictDoUpdate({ target: appHomeViews.userId, set: { openedAt: at } });
  }

  async openedSince(since: Date): Promise<string[]> {
    const rows = await this.db.select({ userId: appHomeViews.userId }).from(appHomeViews).where(gte(appHomeViews.openedAt, since)).orderBy(appHomeViews.userId);
    return rows.map((row) => row.userId);
  }
}

import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Who opened App Home and when: their Home is re-published when what it shows changes, for a while after. */
export const appHomeViews = pgTable('app_home_views', {
  userId: text('user_id').primaryKey(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
});

import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Keys of requests already handled (Slack retries, double clicks, replayed webhooks). Inserting the
 * key is the first write of a handler: a conflict means "seen before", and nothing happens twice.
 */
export const processedRequests = pgTable('processed_requests', {
  key: text('key').primaryKey(),
  /** 'slack_command', 'slack_action', 'github_webhook', … */
  source: text('source').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  /** What the first handling answered, so a retry can answer the same. */
  response: jsonb('response'),
});

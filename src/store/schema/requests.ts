import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
  /**
   * The parsed command, stored with the claim, so an acknowledged command survives a crash before
   * it is handled: start-up handles every stored command whose handling never finished.
   */
  command: jsonb('command'),
  /** Until when the process handling `command` holds it; past it, another may take it over. */
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  /** When `command` was handled (its answer sent); null while it is still to do. */
  handledAt: timestamp('handled_at', { withTimezone: true }),
}, (table) => [index('processed_requests_unhandled').on(table.leaseUntil).where(sql`${table.command} IS NOT NULL AND ${table.handledAt} IS NULL`)]);

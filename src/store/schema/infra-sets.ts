import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** `draining`: out of traffic and due to retire at `retiredAt`, once requests in flight had time to finish. */
export type InfraSetState = 'provisioning' | 'ready' | 'serving' | 'warm' | 'draining' | 'retired';

/**
 * Immutable infrastructure minted for one version of one service in one environment. Traffic moves
 * between them; the last keepWarm good ones stay warm so a rollback is a traffic switch.
 */
export const infraSets = pgTable(
  'infra_sets',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    environment: text('environment').notNull(),
    version: text('version').notNull(),
    releaseId: text('release_id'),
    state: text('state', { enum: ['provisioning', 'ready', 'serving', 'warm', 'draining', 'retired'] }).$type<InfraSetState>().notNull(),
    weight: integer('weight').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** When it last turned warm: keep-warm keeps the most recent. */
    warmedAt: timestamp('warmed_at', { withTimezone: true }),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
  },
  (table) => [index('infra_sets_target').on(table.service, table.environment, table.state)],
);

export type InfraSetRow = typeof infraSets.$inferSelect;

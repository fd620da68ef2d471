import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { ReleaseState, ReleaseStatus } from '../../domain/release/types.js';

/** One release: its whole state as jsonb, plus the columns the scheduler and lists query. */
export const releases = pgTable(
  'releases',
  {
    id: text('id').primaryKey(),
    status: text('status').$type<ReleaseStatus>().notNull(),
    environment: text('environment').notNull(),
    versionSetId: integer('version_set_id').notNull(),
    requester: text('requester').notNull(),
    state: jsonb('state').$type<ReleaseState>().notNull(),
    /** When a tick must look at it next (a bake ends, a measurement is due, a gate may open); null = only inputs wake it. */
    nextTickAt: timestamp('next_tick_at', { withTimezone: true }),
    /** Optimistic version: +1 per transition; the audit log's transition rows are unique on it. */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('releases_due').on(table.status, table.nextTickAt)],
);

/** Append-only audit log: every transition and every refusal. */
export const releaseEvents = pgTable(
  'release_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Null for a refused deploy: no release was created, but the audit log still records who asked for what. */
    releaseId: text('release_id'),
    /**
     * 'transition' rows carry the release version they produced; 'refusal' rows carry the version they
     * saw; 'operator' rows (no release: freezes, locks, /rollback outside a release) carry 0.
     */
    kind: text('kind', { enum: ['transition', 'refusal', 'operator'] }).notNull(),
    version: integer('version').notNull(),
    type: text('type').notNull(),
    actor: text('actor'),
    message: text('message').notNull(),
    /** What the transition or refusal carried (its input, events, or refusal code). */
    data: jsonb('data').$type<Record<string, unknown>>(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [
    // A transition happens once: two replicas deciding the same step cannot both write it.
    uniqueIndex('release_events_transition').on(table.releaseId, table.version).where(sql`${table.kind} = 'transition'`),
    index('release_events_release').on(table.releaseId, table.id),
  ],
);

export const approvals = pgTable(
  'approvals',
  {
    releaseId: text('release_id').notNull(),
    environment: text('environment').notNull(),
    userId: text('user_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.releaseId, table.environment, table.userId] })],
);

/** Ad-hoc freezes (/freeze); scheduled ones come from the config. */
export const freezes = pgTable('freezes', {
  id: serial('id').primaryKey(),
  environment: text('environment').notNull(),
  reason: text('reason').notNull(),
  from: timestamp('from', { withTimezone: true }).notNull(),
  until: timestamp('until', { withTimezone: true }),
  createdBy: text('created_by').notNull(),
  liftedAt: timestamp('lifted_at', { withTimezone: true }),
  liftedBy: text('lifted_by'),
});

export const environmentLocks = pgTable('environment_locks', {
  environment: text('environment').primaryKey(),
  holder: text('holder').notNull(),
  reason: text('reason'),
  at: timestamp('at', { withTimezone: true }).notNull(),
});

/** Where each release's Slack card lives, so it is updated in place. */
export const releaseCards = pgTable('release_cards', {
  releaseId: text('release_id').primaryKey(),
  channel: text('channel').notNull(),
  ts: text('ts').notNull(),
  /** The release version the card last showed. */
  renderedVersion: integer('rendered_version').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

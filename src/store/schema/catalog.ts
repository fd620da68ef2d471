import { integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';

/** Services and environments, seeded from the delivery config at start-up (syncCatalog). */
export const services = pgTable('services', {
  name: text('name').primaryKey(),
  team: text('team').notNull(),
  repo: text('repo').notNull(),
  dependsOn: jsonb('depends_on').$type<string[]>().notNull().default([]),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const environments = pgTable('environments', {
  name: text('name').primaryKey(),
  /** Promotion order from the config (its key order). */
  position: integer('position').notNull(),
  channel: text('channel').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** An immutable artifact of one service. */
export const versions = pgTable(
  'versions',
  {
    service: text('service').notNull(),
    version: text('version').notNull(),
    commitSha: text('commit_sha'),
    repo: text('repo'),
    pullNumber: integer('pull_number'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.service, table.version] })],
);

/** An immutable numbered snapshot {service → version} that ships together. */
export const versionSets = pgTable('version_sets', {
  id: serial('id').primaryKey(),
  parentId: integer('parent_id'),
  /** 'merge', 'deploy' or 'supersede': what minted it. */
  source: text('source').notNull(),
  /** The one service whose version changed against the parent, when there is one. */
  changedService: text('changed_service'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const versionSetMembers = pgTable(
  'version_set_members',
  {
    versionSetId: integer('version_set_id').notNull(),
    service: text('service').notNull(),
    version: text('version').notNull(),
  },
  (table) => [primaryKey({ columns: [table.versionSetId, table.service] })],
);

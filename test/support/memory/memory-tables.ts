import type { InfraSetRecord } from '../../../src/ports/infra-set-store.js';
import type { OutboxLane, StoredEffect } from '../../../src/ports/outbox.js';
import type { CardPosition } from '../../../src/ports/release-cards.js';
import type { FreezeRecord, LockRecord, ReleaseRecord } from '../../../src/ports/release-store.js';

/**
 * The memory store's tables: one Map (or list) per table of the drizzle schema the store ports write.
 * Rows are never changed in place, only replaced, so a shallow copy of the maps is a snapshot: a
 * transaction works on one and it becomes the committed state only when the work resolves.
 */

export interface AuditRow {
  id: number;
  releaseId: string | null;
  kind: 'transition' | 'refusal' | 'operator';
  version: number;
  type: string;
  actor: string | null;
  message: string;
  data: Record<string, unknown> | null;
  at: Date;
}

export interface ApprovalRow {
  releaseId: string;
  environment: string;
  userId: string;
  at: Date;
}

export interface OutboxRow {
  id: number;
  kind: StoredEffect['kind'];
  lane: OutboxLane;
  effect: StoredEffect;
  idempotencyKey: string;
  coalesceKey: string | null;
  releaseId: string | null;
  priority: number;
  status: 'pending' | 'done' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  result: unknown;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface CardRow extends CardPosition {
  updatedAt: Date;
}

export interface VersionRow {
  service: string;
  version: string;
  commitSha: string | null;
  pullNumber: number | null;
  repo: string | null;
}

export interface VersionSetRow {
  id: number;
  parentId: number | null;
  source: string;
  /** The one service whose version changed against the parent, when there is one. */
  changedService: string | null;
  members: Record<string, string>;
}

export interface CatalogRows {
  services: Array<{ name: string; team: string; repo: string; dependsOn: string[]; updatedAt: Date }>;
  environments: Array<{ name: string; position: number; channel: string; updatedAt: Date }>;
}

export interface MemoryTables {
  releases: Map<string, ReleaseRecord>;
  events: AuditRow[];
  approvals: Map<string, ApprovalRow>;
  freezes: Map<number, FreezeRecord>;
  locks: Map<string, LockRecord>;
  infraSets: Map<string, InfraSetRecord>;
  cards: Map<string, CardRow>;
  outbox: Map<number, OutboxRow>;
  versions: Map<string, VersionRow>;
  versionSets: Map<number, VersionSetRow>;
  services: Map<string, CatalogRows['services'][number]>;
  environments: Map<string, CatalogRows['environments'][number]>;
}

export function emptyTables(): MemoryTables {
  return {
    releases: new Map(),
    events: [],
    approvals: new Map(),
    freezes: new Map(),
    locks: new Map(),
    infraSets: new Map(),
    cards: new Map(),
    outbox: new Map(),
    versions: new Map(),
    versionSets: new Map(),
    services: new Map(),
    environments: new Map(),
  };
}

export function copyTables(tables: MemoryTables): MemoryTables {
  return {
    releases: new Map(tables.releases),
    events: [...tables.events],
    approvals: new Map(tables.approvals),
    freezes: new Map(tables.freezes),
    locks: new Map(tables.locks),
    infraSets: new Map(tables.infraSets),
    cards: new Map(tables.cards),
    outbox: new Map(tables.outbox),
    versions: new Map(tables.versions),
    versionSets: new Map(tables.versionSets),
    services: new Map(tables.services),
    environments: new Map(tables.environments),
  };
}

/** Id sequences: like Postgres sequences they are not rolled back with a transaction. */
export interface Sequences {
  event: number;
  outbox: number;
  freeze: number;
  versionSet: number;
}

/**
 * The tables one store call works on. Inside a transaction both run on its working copy; outside
 * one, `read` sees the committed tables and `write` is a transaction of its own (as a statement
 * outside a transaction commits on its own).
 */
export interface Unit {
  read<T>(work: (tables: MemoryTables) => T): T;
  write<T>(work: (tables: MemoryTables) => T | Promise<T>): Promise<T>;
  readonly sequences: Sequences;
}

/** A jsonb column's round trip: what is read back is a fresh value, never the object that was written. */
export function jsonb<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function releaseCopy(row: ReleaseRecord): ReleaseRecord {
  return { ...row, state: jsonb(row.state) };
}

export interface SortKey<T> {
  by: (row: T) => number | string | null;
  desc?: boolean;
}

/** Rows in the order of `keys`, as Postgres sorts: NULL last ascending, first descending; ties keep insertion order. */
export function sortedBy<T>(rows: Iterable<T>, ...keys: SortKey<T>[]): T[] {
  return [...rows].sort((a, b) => {
    for (const key of keys) {
      const x = key.by(a);
      const y = key.by(b);
      if (x === y) continue;
      if (x === null) return key.desc ? -1 : 1;
      if (y === null) return key.desc ? 1 : -1;
      const order = x < y ? -1 : 1;
      return key.desc ? -order : order;
    }
    return 0;
  });
}

/** Appends to the audit log; a release's transition is written once per version (as the unique index on it holds). */
export function appendEvent(tables: MemoryTables, sequences: Sequences, event: Omit<AuditRow, 'id'>): void {
  sequences.event += 1;
  if (event.kind === 'transition' && tables.events.some((row) => row.kind === 'transition' && row.releaseId === event.releaseId && row.version === event.version)) {
    throw new Error(`duplicate key value violates unique constraint "release_events_transition" (release ${event.releaseId}, version ${event.version})`);
  }
  tables.events.push({ id: sequences.event, ...event, data: jsonb(event.data) });
}

import { AsyncLocalStorage } from 'node:async_hooks';
import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import type { Catalog } from '../../../src/ports/catalog.js';
import type { InfraSetRecord } from '../../../src/ports/infra-set-store.js';
import type { Store, Stores } from '../../../src/ports/store.js';
import type { VersionSetSnapshot } from '../../../src/ports/version-set-store.js';
import { MemoryEnvironmentStore } from './memory-environment-store.js';
import { MemoryInfraSetStore } from './memory-infra-set-store.js';
import { MemoryOutbox } from './memory-outbox.js';
import { MemoryReleaseCards } from './memory-release-cards.js';
import { MemoryReleaseStore } from './memory-release-store.js';
import { copyTables, emptyTables, jsonb, sortedBy, type ApprovalRow, type AuditRow, type CatalogRows, type MemoryTables, type OutboxRow, type Sequences, type Unit } from './memory-tables.js';
import { knowVersion, mintSet, MemoryVersionSetStore } from './memory-version-set-store.js';

/** One transaction at a time, in the order they asked. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const before = this.tail;
    this.tail = before.then(() => turn);
    await before;
    return release;
  }
}

/**
 * The engine's storage in memory (`Store` and `Catalog`), behaving as DrizzleStore does, for service
 * tests that need no database (test/integration/store-contract.test.ts holds the two to the same
 * cases). A transaction works on a copy of the tables, one transaction at a time, and its copy
 * becomes the committed state only when its work resolves: work that throws leaves nothing behind.
 * Outside a transaction a read sees what is committed and each write commits on its own.
 */
export class MemoryStore implements Store, Catalog {
  readonly releases: Stores['releases'];
  readonly environments: Stores['environments'];
  readonly infraSets: Stores['infraSets'];
  readonly versionSets: Stores['versionSets'];
  readonly cards: Stores['cards'];
  readonly outbox: Stores['outbox'];

  private committed: MemoryTables = emptyTables();
  private readonly sequences: Sequences = { event: 0, outbox: 0, freeze: 0, versionSet: 0 };
  private readonly mutex = new Mutex();
  /** The transaction the current async context runs in, to name a call that would wait for it. */
  private readonly running = new AsyncLocalStorage<{ open: boolean }>();

  constructor(private readonly config: DeliveryConfig) {
    const stores = this.storesOver({
      read: (work) => work(this.committed),
      write: (work) => this.exclusive(work),
      sequences: this.sequences,
    });
    this.releases = stores.releases;
    this.environments = stores.environments;
    this.infraSets = stores.infraSets;
    this.versionSets = stores.versionSets;
    this.cards = stores.cards;
    this.outbox = stores.outbox;
  }

  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T> {
    return this.exclusive((tables) =>
      work(
        this.storesOver({
          read: (step) => step(tables),
          write: async (step) => step(tables),
          sequences: this.sequences,
        }),
      ),
    );
  }

  async sync(config: DeliveryConfig, now: Date): Promise<void> {
    await this.exclusive((tables) => {
      for (const [name, service] of Object.entries(config.services)) {
        tables.services.set(name, { name, team: service.team, repo: service.repo, dependsOn: service.dependsOn.map((dependency) => dependency.service), updatedAt: now });
      }
      Object.entries(config.environments).forEach(([name, environment], position) => tables.environments.set(name, { name, position, channel: environment.channel, updatedAt: now }));
    });
  }

  // ── Seeding and reading back, for tests ─────────────────────────────────────────────────────

  /** Infra-sets as they stand before a test (the fleet already serving). */
  async seedInfraSets(sets: readonly InfraSetRecord[]): Promise<void> {
    await this.exclusive((tables) => {
      for (const set of sets) {
        if (tables.infraSets.has(set.id)) throw new Error(`duplicate key value violates unique constraint "infra_sets_pkey" (${set.id})`);
        tables.infraSets.set(set.id, { ...set });
      }
    });
  }

  /** Mints a set with exactly these versions, derived from the latest (as `mintVersionSet` does on a database). */
  async mintVersionSet(members: Record<string, string>, source: 'merge' | 'deploy' = 'deploy'): Promise<VersionSetSnapshot> {
    return this.exclusive((tables) => {
      const base = sortedBy(tables.versionSets.values(), { by: (set) => set.id, desc: true })[0];
      for (const [service, version] of Object.entries(members)) knowVersion(tables, { service, version, commitSha: null, pullNumber: null, repo: null });
      return mintSet(tables, this.sequences, { parentId: base?.id ?? null, source, changedService: null, members: { ...(base?.members ?? {}), ...members } });
    });
  }

  /** The audit log, oldest first: of one release, or with `null` the rows of none (refused deploys, operator inputs). */
  auditRows(releaseId?: string | null): AuditRow[] {
    return this.committed.events.filter((row) => releaseId === undefined || row.releaseId === releaseId).map((row) => ({ ...row, data: jsonb(row.data) }));
  }

  outboxRows(): OutboxRow[] {
    return sortedBy(this.committed.outbox.values(), { by: (row) => row.id }).map((row) => ({ ...row, effect: jsonb(row.effect) }));
  }

  approvalRows(): ApprovalRow[] {
    return [...this.committed.approvals.values()].map((row) => ({ ...row }));
  }

  catalogRows(): CatalogRows {
    return { services: [...this.committed.services.values()].map((row) => ({ ...row })), environments: [...this.committed.environments.values()].map((row) => ({ ...row })) };
  }

  // ── Units of work ───────────────────────────────────────────────────────────────────────────

  private storesOver(unit: Unit): Stores {
    return {
      releases: new MemoryReleaseStore(unit, this.config),
      environments: new MemoryEnvironmentStore(unit),
      infraSets: new MemoryInfraSetStore(unit),
      versionSets: new MemoryVersionSetStore(unit),
      cards: new MemoryReleaseCards(unit, this.config),
      outbox: new MemoryOutbox(unit),
    };
  }

  /** Runs `work` alone over a copy of the committed tables; the copy is committed only if `work` resolves. */
  private async exclusive<T>(work: (tables: MemoryTables) => T | Promise<T>): Promise<T> {
    if (this.running.getStore()?.open) {
      throw new Error('a write through the store itself inside one of its transactions would wait for that transaction forever: write through the transaction (tx) instead');
    }
    const release = await this.mutex.acquire();
    const transaction = { open: true };
    try {
      const working = copyTables(this.committed);
      const result = await this.running.run(transaction, () => work(working));
      this.committed = working;
      return result;
    } finally {
      transaction.open = false;
      release();
    }
  }
}

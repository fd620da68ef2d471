import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openDatabase, queryRows, type EmbeddedDatabase } from '../../src/store/db.js';
import { outbox } from '../../src/store/schema/index.js';
import { pgliteKind, truncateAll } from '../support/databases.js';
import { PgliteThread } from '../../src/store/pglite-thread.js';

/**
 * The embedded database runs in a worker thread: drizzle's interactive transactions cross the
 * thread boundary, errors keep their Postgres fields, and the app's thread stays free while a
 * query runs.
 */
describe('PGlite in its worker thread', () => {
  let database: EmbeddedDatabase;
  beforeAll(async () => {
    database = (await pgliteKind.open()) as EmbeddedDatabase;
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
  });

  const keys = async () => (await database.db.select({ key: outbox.idempotencyKey }).from(outbox)).map((row) => row.key).sort();

  it('commits a transaction whose work succeeds', async () => {
    const returned = await database.db.transaction(async (tx) => {
      await tx.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'a', releaseId: null }, idempotencyKey: 'a' });
      await tx.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'b', releaseId: null }, idempotencyKey: 'b' });
      return 'done';
    });
    expect(returned).toBe('done');
    expect(await keys()).toEqual(['a', 'b']);
  });

  it('rolls back a transaction whose work throws, and rethrows', async () => {
    const failure = database.db.transaction(async (tx) => {
      await tx.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'a', releaseId: null }, idempotencyKey: 'a' });
      throw new Error('changed my mind');
    });
    await expect(failure).rejects.toThrow('changed my mind');
    expect(await keys()).toEqual([]);
  });

  it('rolls back a nested transaction to its savepoint only', async () => {
    await database.db.transaction(async (tx) => {
      await tx.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'outer', releaseId: null }, idempotencyKey: 'outer' });
      await tx
        .transaction(async (inner) => {
          await inner.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'inner', releaseId: null }, idempotencyKey: 'inner' });
          throw new Error('inner fails');
        })
        .catch(() => {});
    });
    expect(await keys()).toEqual(['outer']);
  });

  it('keeps a Postgres error code and constraint across the thread', async () => {
    await database.db.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: '', releaseId: null }, idempotencyKey: 'dup' });
    const error: unknown = await database.db
      .insert(outbox)
      .values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: '', releaseId: null }, idempotencyKey: 'dup' })
      .then(() => null, (caught: unknown) => caught);
    // drizzle wraps the driver's error; the driver's is its cause.
    const driverError = (error as { cause?: unknown }).cause ?? error;
    expect(driverError).toMatchObject({ code: '23505' });
    expect(String((driverError as { constraint?: unknown }).constraint)).toContain('idempotency');
  });

  it('lets a query issued during an open transaction wait for it, so it sees the committed rows', async () => {
    let releaseTransaction!: () => void;
    const held = new Promise<void>((resolve) => (releaseTransaction = resolve));
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = database.db.transaction(async (tx) => {
      await tx.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: '', releaseId: null }, idempotencyKey: 'held' });
      inserted();
      await held;
    });
    await insertedSignal;
    const outside = keys();
    releaseTransaction();
    await transaction;
    expect(await outside).toEqual(['held']);
  });

  it('answers timers on the app thread while a long query runs in the worker', async () => {
    const order: string[] = [];
    const timer = new Promise<void>((resolve) => setTimeout(() => (order.push('timer'), resolve()), 0));
    const query = queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM generate_series(1, 2000000)`).then((rows) => {
      order.push('query');
      return rows;
    });
    const [rows] = await Promise.all([query, timer]);
    expect(rows[0]?.n).toBe(2_000_000);
    expect(order).toEqual(['timer', 'query']);
  });
});

describe('PGlite data directory on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-pglite-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was written across a close and a reopen', async () => {
    const template = new Blob([readFileSync(inject('pgliteTemplatePath'))]);
    const first = await openDatabase({ driver: 'pglite', dataDir: join(dir, 'data'), loadDataDir: template });
    await first.migrate();
    await first.db.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'kept', releaseId: null }, idempotencyKey: 'kept' });
    await first.close();

    const second = await openDatabase({ driver: 'pglite', dataDir: join(dir, 'data') });
    await expect(second.ready()).resolves.toEqual({ ok: true });
    const rows = await second.db.select({ effect: outbox.effect }).from(outbox);
    expect(rows).toEqual([{ effect: { kind: 'notify', channel: '#deploys', text: 'kept', releaseId: null } }]);
    await second.close();
    await expect(second.db.select().from(outbox)).rejects.toThrow();
  }, 120_000);

  it('dumps its data directory as a template another database opens', async () => {
    const source = (await pgliteKind.open()) as EmbeddedDatabase;
    await source.db.insert(outbox).values({ kind: 'notify', effect: { kind: 'notify', channel: '#deploys', text: 'dumped', releaseId: null }, idempotencyKey: 'dumped' });
    const dump = await source.dumpDataDir();
    await source.close();
    const copy = await openDatabase({ driver: 'pglite', dataDir: null, loadDataDir: dump });
    expect(await copy.db.select({ key: outbox.idempotencyKey }).from(outbox)).toEqual([{ key: 'dumped' }]);
    await copy.close();
  }, 120_000);
});

describe('PGlite text types', () => {
  const TIMESTAMPTZ = 1184;
  const TIMESTAMP = 1114;
  const at = "SELECT '2026-12-03 16:00:00+00'::timestamptz AS tz, '2026-12-03 16:00:00'::timestamp AS plain";

  it('keeps the types the instance was opened with as text, and any other set a query names', async () => {
    const thread = PgliteThread.start();
    await thread.open({ dataDir: null, loadDataDir: new Blob([readFileSync(inject('pgliteTemplatePath'))]), textTypes: [TIMESTAMPTZ] });
    try {
      // Exactly the instance's set: answered by the instance's own parsers.
      expect((await thread.query(at, [], { parsers: { [TIMESTAMPTZ]: String } })).rows).toEqual([{ tz: '2026-12-03 16:00:00+00', plain: expect.any(Date) }]);
      // Another set: the query's own, and the instance's parsers for the rest.
      expect((await thread.query(at, [], { rowMode: 'array', parsers: { [TIMESTAMPTZ]: String, [TIMESTAMP]: String } })).rows).toEqual([['2026-12-03 16:00:00+00', '2026-12-03 16:00:00']]);
      expect((await thread.query(at, [], { rowMode: 'array', parsers: { [TIMESTAMP]: String } })).rows).toEqual([['2026-12-03 16:00:00+00', '2026-12-03 16:00:00']]);
    } finally {
      await thread.close();
    }
  }, 120_000);
});

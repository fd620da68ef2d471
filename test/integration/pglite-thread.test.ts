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

/**
 * Each data statement is parsed once under a name and run from it after (pglite-statements.ts):
 * what Postgres keeps is visible in pg_prepared_statements, and a kept statement answers exactly
 * what a fresh one would, across errors, transactions and schema changes.
 */
describe('PGlite kept statements', () => {
  let thread: PgliteThread;
  beforeAll(async () => {
    thread = PgliteThread.start();
    await thread.open({ dataDir: null });
    await thread.query('CREATE TABLE kept_probe (id int PRIMARY KEY, label text NOT NULL)');
  }, 120_000);
  afterAll(async () => {
    await thread?.close();
  });
  beforeEach(async () => {
    await thread.query('DELETE FROM kept_probe');
  });

  const kept = async (text: string) =>
    (await thread.query('SELECT count(*)::int AS kept FROM pg_prepared_statements WHERE statement = $1', [text])).rows[0] as { kept: number };

  it('parses a statement once and runs every later call from it, with the same answers', async () => {
    const insert = 'INSERT INTO kept_probe (id, label) VALUES ($1, $2) RETURNING id, label';
    for (const id of [1, 2, 3]) expect((await thread.query(insert, [id, `p${id}`])).rows).toEqual([{ id, label: `p${id}` }]);
    const select = 'SELECT id, label FROM kept_probe WHERE id = ANY($1) ORDER BY id';
    expect((await thread.query(select, [[1, 3]])).rows).toEqual([{ id: 1, label: 'p1' }, { id: 3, label: 'p3' }]);
    expect((await thread.query(select, [[2]], { rowMode: 'array' })).rows).toEqual([[2, 'p2']]);
    expect(await kept(insert)).toEqual({ kept: 1 });
    expect(await kept(select)).toEqual({ kept: 1 });
    const update = await thread.query('UPDATE kept_probe SET label = $1 WHERE id > $2', ['later', 1]);
    expect(update.affectedRows).toBe(2);
  });

  it('keeps a statement usable after it fails, inside and outside a transaction', async () => {
    const insert = 'INSERT INTO kept_probe (id, label) VALUES ($1, $2)';
    await thread.query(insert, [1, 'first']);
    await expect(thread.query(insert, [1, 'again'])).rejects.toMatchObject({ code: '23505', constraint: 'kept_probe_pkey' });
    await expect(
      thread.transaction(async (tx) => {
        await tx.query(insert, [2, 'in a transaction']);
        await tx.query(insert, [1, 'clash']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    await thread.query(insert, [3, 'after']);
    expect((await thread.query('SELECT id FROM kept_probe ORDER BY id', [], { rowMode: 'array' })).rows).toEqual([[1], [3]]);
  });

  it('forgets what it kept when the schema changes, so a kept statement never answers with an old row shape', async () => {
    const everything = 'SELECT * FROM kept_probe ORDER BY id';
    await thread.query("INSERT INTO kept_probe (id, label) VALUES (1, 'one')");
    expect((await thread.query(everything)).rows).toEqual([{ id: 1, label: 'one' }]);
    await thread.transaction(async (tx) => {
      await tx.query("ALTER TABLE kept_probe ADD COLUMN note text NOT NULL DEFAULT 'added'");
    });
    expect((await thread.query(everything)).rows).toEqual([{ id: 1, label: 'one', note: 'added' }]);
    await thread.query('ALTER TABLE kept_probe DROP COLUMN note');
    expect((await thread.query(everything)).rows).toEqual([{ id: 1, label: 'one' }]);
    expect(await kept(everything)).toEqual({ kept: 1 });
  });

  it('keeps at most 500 statements, closing the oldest', async () => {
    for (let n = 0; n < 520; n++) await thread.query(`SELECT ${n} AS n`);
    const { rows } = await thread.query("SELECT count(*)::int AS kept, bool_or(statement = 'SELECT 0 AS n') AS oldest, bool_or(statement = 'SELECT 519 AS n') AS newest FROM pg_prepared_statements");
    expect(rows).toEqual([{ kept: expect.any(Number), oldest: false, newest: true }]);
    expect((rows[0] as { kept: number }).kept).toBeLessThanOrEqual(501);
  }, 60_000);
});

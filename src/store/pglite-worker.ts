import { parentPort } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { QueryResult, SerializedError, WorkerRequest, WorkerResponse } from './pglite-protocol.js';
import { PgliteStatements } from './pglite-statements.js';

/**
 * The embedded database's own thread: one PGlite instance answering the app's messages, so WASM
 * Postgres work never runs on the thread that acknowledges Slack. A transaction holds the single
 * connection until the app ends it; other queries wait for it inside PGlite (its transaction mutex),
 * exactly as they would in-process.
 */

const port = parentPort;
if (!port) throw new Error('pglite-worker runs as a worker thread');

/** The open database, with its kept statements (pglite-statements.ts): how every query runs. */
let open: { database: PGlite; statements: PgliteStatements } | null = null;
/** Open transactions by the app's id, each with the resolver that ends it. */
const transactions = new Map<number, { tx: Transaction; end: (outcome: 'commit' | 'rollback') => void }>();

const keepText = (value: string) => value;

/** The text types the instance keeps as text itself (its own parsers), as a key; see `textTypesKey`. */
let instanceTextTypes = '';
/** Per-query parsers for other sets of text types, built once per set. */
const parsersByTextTypes = new Map<string, Record<number, typeof keepText>>();

/** A set of type OIDs as a key. A query's come in ascending order (the keys of its parsers object), so only the instance's are sorted. */
function textTypesKey(oids: readonly number[]): string {
  return oids.join(',');
}

/** What a query passes to PGlite to keep `oids` as text: nothing when the instance already does. */
function queryParsers(oids: readonly number[]): { parsers?: Record<number, typeof keepText> } {
  const key = textTypesKey(oids);
  if (key === instanceTextTypes) return {};
  let parsers = parsersByTextTypes.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(oids.map((oid) => [oid, keepText]));
    parsersByTextTypes.set(key, parsers);
  }
  return { parsers };
}

function reply(response: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(response, transfer);
}

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error), name: 'Error', fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { message: error.message, name: error.name, fields };
}

function opened(): { database: PGlite; statements: PgliteStatements } {
  if (!open) throw new Error('the embedded database is not open');
  return open;
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.kind) {
    case 'open': {
      const { dataDir, loadDataDir } = request.options;
      if (dataDir) mkdirSync(dataDir, { recursive: true });
      const database = await PGlite.create({
        ...(dataDir ? { dataDir } : {}),
        ...(loadDataDir ? { loadDataDir: new Blob([loadDataDir]) } : {}),
      });
      // Set after create, which installs the array types' parsers over any given to it.
      const textTypes = request.options.textTypes ?? [];
      for (const oid of textTypes) database.parsers[oid] = keepText;
      instanceTextTypes = textTypesKey([...textTypes].sort((a, b) => a - b));
      open = { database, statements: new PgliteStatements(database) };
      return reply({ id: request.id, ok: true });
    }
    case 'query': {
      const options = { rowMode: request.rowMode, ...queryParsers(request.textTypes) };
      const transaction = request.transaction === undefined ? undefined : transactions.get(request.transaction)?.tx;
      if (request.transaction !== undefined && !transaction) throw new Error(`transaction ${request.transaction} is not open`);
      const result = await opened().statements.run(request.sql, request.params, options, transaction);
      const answer: QueryResult = {
        rows: result.rows,
        fields: result.fields.map((field) => ({ name: field.name, dataTypeID: field.dataTypeID })),
        ...(result.affectedRows === undefined ? {} : { affectedRows: result.affectedRows }),
      };
      return reply({ id: request.id, ok: true, result: answer });
    }
    case 'begin': {
      const transaction = request.transaction;
      let started = false;
      // The transaction's body waits for the app's 'end'; how it settles is the answer to that 'end'.
      await new Promise<void>((resolveStart, rejectStart) => {
        opened()
          .database.transaction(
            (tx) =>
              new Promise<void>((commit, rollback) => {
                transactions.set(transaction, {
                  tx,
                  end: (outcome) => (outcome === 'commit' ? commit() : rollback(new TransactionRolledBack())),
                });
                started = true;
                resolveStart();
              }),
          )
          .then(
            () => settled(transaction, null),
            (error: unknown) => {
              if (!started) return rejectStart(error);
              settled(transaction, error instanceof TransactionRolledBack ? null : error);
            },
          );
      });
      return reply({ id: request.id, ok: true });
    }
    case 'end': {
      const open = transactions.get(request.transaction);
      if (!open) throw new Error(`transaction ${request.transaction} is not open`);
      endings.set(request.transaction, request.id);
      open.end(request.outcome);
      return;
    }
    case 'dump': {
      const blob = await opened().database.dumpDataDir('none');
      const bytes = await blob.arrayBuffer();
      return reply({ id: request.id, ok: true, dump: bytes }, [bytes]);
    }
    case 'close': {
      if (open && !open.database.closed) await open.database.close();
      open = null;
      reply({ id: request.id, ok: true });
      port!.close();
      return;
    }
  }
}

class TransactionRolledBack extends Error {}

/** The 'end' request waiting for each transaction to settle. */
const endings = new Map<number, number>();

function settled(transaction: number, error: unknown): void {
  transactions.delete(transaction);
  const id = endings.get(transaction);
  endings.delete(transaction);
  if (id === undefined) return;
  reply(error === null ? { id, ok: true } : { id, ok: false, error: serializeError(error) });
}

port.on('message', (request: WorkerRequest) => {
  handle(request).catch((error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }));
});

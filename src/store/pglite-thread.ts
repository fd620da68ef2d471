import { Worker } from 'node:worker_threads';
import type { QueryRowMode, QueryResult, SerializedError, WorkerRequest, WorkerResponse } from './pglite-protocol.js';

/** What drizzle's PGlite session calls on its client: `query` and `transaction`, nothing else. */
export interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: { rowMode?: QueryRowMode; parsers?: Record<number, unknown> }): Promise<QueryResult>;
}

export interface PgliteConnection extends PgliteQueryable {
  transaction<T>(work: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
}

/** A database error raised in the worker, with its Postgres fields (code, detail, constraint…) kept. */
export class EmbeddedDatabaseError extends Error {
  [field: string]: unknown;
  constructor(serialized: SerializedError) {
    super(serialized.message);
    Object.assign(this, serialized.fields);
    this.name = serialized.name;
  }
}

type Pending = { resolve(response: WorkerResponse & { ok: true }): void; reject(error: Error): void };
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * PGlite in a worker thread of its own (src/store/pglite-worker.ts), so the app's thread only posts
 * messages and never runs WASM Postgres itself. Queries keep PGlite's order (one connection); a
 * transaction holds that connection across messages until it commits or rolls back.
 */
export class PgliteThread implements PgliteConnection {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #nextTransaction = 1;
  #stopped: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (response: WorkerResponse) => this.#settle(response));
    worker.on('error', (error) => this.#stop(new Error(`the embedded database thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.#stop(new Error(`the embedded database thread exited (code ${code})`)));
    // Idle, the thread must not keep the process alive; while a request is out it must.
    worker.unref();
  }

  /**
   * Starts the thread, which loads PGlite at once but opens nothing until `open`: a start can begin
   * that before it has read its config, and still open no data directory when the config is bad.
   */
  static start(): PgliteThread {
    return new PgliteThread(startWorker());
  }

  /** Opens the data directory (or an in-memory database); on failure the thread is gone. */
  async open(options: { dataDir: string | null; loadDataDir?: Blob; textTypes?: readonly number[] }): Promise<void> {
    try {
      const loadDataDir = options.loadDataDir ? await options.loadDataDir.arrayBuffer() : undefined;
      const textTypes = options.textTypes ? { textTypes: [...options.textTypes] } : {};
      await this.#send({ kind: 'open', options: { dataDir: options.dataDir, ...(loadDataDir ? { loadDataDir } : {}), ...textTypes } }, loadDataDir ? [loadDataDir] : []);
    } catch (error) {
      await this.#worker.terminate();
      throw error;
    }
  }

  async query(sql: string, params: unknown[] = [], options: { rowMode?: QueryRowMode; parsers?: Record<number, unknown> } = {}): Promise<QueryResult> {
    return this.#query(undefined, sql, params, options);
  }

  async transaction<T>(work: (tx: PgliteQueryable) => Promise<T>): Promise<T> {
    const transaction = this.#nextTransaction++;
    await this.#send({ kind: 'begin', transaction });
    const tx: PgliteQueryable = { query: (sql, params = [], options = {}) => this.#query(transaction, sql, params, options) };
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      await this.#send({ kind: 'end', transaction, outcome: 'rollback' }).catch(() => {});
      throw error;
    }
    await this.#send({ kind: 'end', transaction, outcome: 'commit' });
    return result;
  }

  async dumpDataDir(): Promise<Blob> {
    const response = await this.#send({ kind: 'dump' });
    if (!response.dump) throw new Error('the embedded database thread sent no dump');
    return new Blob([response.dump]);
  }

  async close(): Promise<void> {
    if (this.#stopped) return;
    await this.#send({ kind: 'close' }).catch(() => {});
    await this.#worker.terminate();
  }

  async #query(
    transaction: number | undefined,
    sql: string,
    params: unknown[],
    options: { rowMode?: QueryRowMode; parsers?: Record<number, unknown> },
  ): Promise<QueryResult> {
    const textTypes = Object.keys(options.parsers ?? {}).map(Number);
    const response = await this.#send({
      kind: 'query',
      ...(transaction === undefined ? {} : { transaction }),
      sql,
      params,
      rowMode: options.rowMode ?? 'object',
      textTypes,
    });
    if (!response.result) throw new Error('the embedded database thread sent no result');
    return response.result;
  }

  #send(request: Request, transfer: ArrayBuffer[] = []): Promise<WorkerResponse & { ok: true }> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      try {
        this.#worker.postMessage({ ...request, id }, transfer);
      } catch (error) {
        this.#forget(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  #settle(response: WorkerResponse): void {
    const pending = this.#forget(response.id);
    if (!pending) return;
    if (response.ok) pending.resolve(response);
    else pending.reject(new EmbeddedDatabaseError(response.error));
  }

  #forget(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (pending && this.#pending.size === 0) this.#worker.unref();
    return pending;
  }

  #stop(reason: Error): void {
    if (this.#stopped) return;
    this.#stopped = reason;
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
  }
}

/**
 * The compiled build starts pglite-worker.js directly; run from the TypeScript sources (tsx, vitest)
 * the worker registers tsx first, since a worker thread does not inherit the parent's loader.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./pglite-worker.js', here));
  const source = JSON.stringify(new URL('./pglite-worker.ts', here).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); });`, { eval: true });
}

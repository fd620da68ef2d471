/**
 * The messages between the app and the PGlite worker thread (src/store/pglite-worker.ts). Only
 * structured-clonable values cross: no functions, so a query names the type OIDs whose values stay
 * as Postgres text instead of sending parser functions.
 */

export interface PgliteOpenOptions {
  dataDir: string | null;
  /** A data directory tarball (dumpDataDir) to start from, as bytes. */
  loadDataDir?: ArrayBuffer;
  /**
   * Type OIDs the instance itself returns as text, for every query: one naming exactly these brings
   * no parsers of its own (PGlite copies its whole parser table, ~300 entries, for each query that
   * brings some, ~0.1 ms a query).
   */
  textTypes?: number[];
}

export type QueryRowMode = 'array' | 'object';

export type WorkerRequest =
  | { id: number; kind: 'open'; options: PgliteOpenOptions }
  | {
      id: number;
      kind: 'query';
      /** The open transaction this query belongs to; absent outside a transaction. */
      transaction?: number;
      sql: string;
      params: unknown[];
      rowMode: QueryRowMode;
      /** Type OIDs, ascending, whose values are returned as the text Postgres sent (drizzle parses them itself). */
      textTypes: number[];
    }
  | { id: number; kind: 'begin'; transaction: number }
  | { id: number; kind: 'end'; transaction: number; outcome: 'commit' | 'rollback' }
  | { id: number; kind: 'dump' }
  | { id: number; kind: 'close' };

export interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

/** A database error's message and its Postgres fields (code, detail, constraint…), as plain data. */
export interface SerializedError {
  message: string;
  name: string;
  fields: Record<string, string | number | boolean>;
}

export type WorkerResponse =
  | { id: number; ok: true; result?: QueryResult; dump?: ArrayBuffer }
  | { id: number; ok: false; error: SerializedError };

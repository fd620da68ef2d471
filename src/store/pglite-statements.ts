import { parse, protocol, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';

/**
 * Named prepared statements for the embedded database, kept by SQL text in its worker thread.
 *
 * PGlite's own `query` sends each statement as an unnamed one in six protocol round trips (parse,
 * describe, bind, describe, execute, sync), so Postgres parses and plans it every time it runs. The
 * app sends the same few dozen statements over and over (drizzle renders each query to the same
 * text), so each text is parsed once under a name, with its parameter types and row description
 * kept here; every later run is one round trip (bind, execute, sync) that Postgres answers from
 * the kept statement and, after a few runs, its cached plan: about 2.4× faster for a lookup by key.
 *
 * Only plain data statements are kept (SELECT, INSERT, UPDATE, DELETE, WITH); anything else
 * (BEGIN, SET, DDL…) runs as PGlite runs it, and a schema change forgets every kept statement so
 * none answers with the row shape it had before.
 */

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

interface KeptStatement {
  name: string;
  parameterTypes: number[];
  /** The statement's RowDescription, absent for one that returns no rows (noData). */
  rowDescription: BackendMessage | undefined;
}

/** Statements that can be kept: those whose text starts with a data-manipulating keyword. */
const KEEPABLE = /^\s*(select|insert|update|delete|with)\b/i;
/** Statements after which a kept statement's row shape may be stale. */
const SCHEMA_CHANGE = /^\s*(create|alter|drop|truncate|comment|grant|revoke)\b/i;

/** How many statements are kept at most; the app uses a few dozen, so this bounds only a runaway. */
const MAX_KEPT = 500;

export class PgliteStatements {
  /** Kept statements by SQL text, oldest first (a Map keeps insertion order; a use moves one to the end). */
  private readonly kept = new Map<string, KeptStatement>();
  /** Names of forgotten statements to close with the next round trip. */
  private closing: string[] = [];
  private nextName = 0;

  constructor(private readonly database: PGlite) {}

  /**
   * Runs one statement, in `transaction` when given. Outside a transaction it takes both of PGlite's
   * locks, as its `query` does; inside one, only the query lock, the transaction holding the other.
   */
  run(text: string, params: readonly unknown[], options: QueryOptions, transaction?: Transaction): Promise<Results> {
    const database = this.database;
    if (!KEEPABLE.test(text)) {
      const ran = (transaction ?? database).query<Results['rows'][number]>(text, [...params], options);
      // Forgotten once it has run: a statement kept while it waited for its turn is forgotten too.
      return SCHEMA_CHANGE.test(text) ? ran.finally(() => this.forgetAll()) : ran;
    }
    const inTransaction = transaction !== undefined;
    const runKept = () => database._runExclusiveQuery(() => this.runKept(text, params, options, inTransaction));
    return inTransaction ? runKept() : database._runExclusiveTransaction(runKept);
  }

  private async runKept(text: string, params: readonly unknown[], options: QueryOptions, inTransaction: boolean): Promise<Results> {
    const database = this.database;
    try {
      const statement = this.recentlyUsed(text) ?? (await this.keep(text));
      const messages = await database.execProtocolStream(
        frames(protocol.serialize.bind({ statement: statement.name, values: this.serialize(params, statement.parameterTypes) }), protocol.serialize.execute({}), protocol.serialize.sync()),
        { syncToFs: false },
      );
      const [result] = parse.parseResults(statement.rowDescription ? [statement.rowDescription, ...messages] : messages, database.parsers, options);
      return result!;
    } catch (error) {
      throw withQuery(error, text, params);
    } finally {
      if (!inTransaction) await database.syncToFs();
    }
  }

  /** The statement kept for `text`, moved to the newest end so the oldest unused one goes first. */
  private recentlyUsed(text: string): KeptStatement | undefined {
    const statement = this.kept.get(text);
    if (statement) {
      this.kept.delete(text);
      this.kept.set(text, statement);
    }
    return statement;
  }

  /** Parses `text` under a new name and keeps it with what describing it told. */
  private async keep(text: string): Promise<KeptStatement> {
    const name = `dd_${this.nextName++}`;
    const closes = this.closing.map((closed) => protocol.serialize.close({ type: 'S', name: closed }));
    this.closing = [];
    const messages = await this.database.execProtocolStream(
      frames(...closes, protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()),
      { syncToFs: false },
    );
    const statement: KeptStatement = {
      name,
      parameterTypes: parse.parseDescribeStatementResults(messages),
      rowDescription: messages.find((message) => message.name === 'rowDescription'),
    };
    this.kept.set(text, statement);
    if (this.kept.size > MAX_KEPT) this.forget(this.kept.keys().next().value!);
    return statement;
  }

  /** Each parameter as PGlite's `query` sends it: null, or its type's serializer's text. */
  private serialize(params: readonly unknown[], types: readonly number[]): (string | null)[] {
    const serializers = this.database.serializers;
    return params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = serializers[types[index]!];
      return serializer ? serializer(value) : String(value);
    });
  }

  private forget(text: string): void {
    const statement = this.kept.get(text);
    if (!statement) return;
    this.kept.delete(text);
    this.closing.push(statement.name);
  }

  private forgetAll(): void {
    for (const text of [...this.kept.keys()]) this.forget(text);
  }
}

function frames(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** The statement on its error, as PGlite's `query` leaves it for whoever reports it. */
function withQuery(error: unknown, text: string, params: readonly unknown[]): unknown {
  if (error instanceof Error) Object.assign(error, { query: text, params });
  return error;
}

import type { PGlite } from '@electric-sql/pglite';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs, types } from '@slack/bolt';
import type { Block } from './adapters/slack/blocks/block-kit.js';
import type { ZodWalkable } from './config/load-delivery-config.js';
import type { Db } from './store/db.js';
import type { PgliteConnection } from './store/pglite-thread.js';
import type { KubernetesApis } from './adapters/kubernetes/kubernetes-client.js';

/**
 * The casts the type checker cannot verify, in one reviewed place (type imports only, so it couples
 * nothing at run time). Each says why it is sound; code anywhere else in src/ never writes
 * `as unknown as`.
 */

// ── store ────────────────────────────────────────────────────────────────────────────────────

/**
 * Either driver's drizzle database as the driver-neutral `Db`. drizzle types each driver's result
 * (node-postgres' QueryResult, PGlite's Results) with its own HKT, so the two databases are not
 * assignable to one another, though every query builder and `execute` repositories use is the same.
 */
export function asDb(database: object): Db {
  return database as unknown as Db;
}

/**
 * The worker-thread connection as drizzle's PGlite client. drizzle's PGlite session calls only
 * `client.query(sql, params, { rowMode, parsers })` and `client.transaction(fn)` (with a client of
 * the same shape inside); PgliteConnection has both (checked against drizzle-orm/pglite/session.js).
 */
export function asPgliteClient(connection: PgliteConnection): PGlite {
  return connection as unknown as PGlite;
}

/** `db.execute` answers `{ rows }` on both drivers; drizzle types the result per driver as unknown rows. */
export function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows;
}

// ── Slack ────────────────────────────────────────────────────────────────────────────────────

/**
 * Our renderers' blocks as @slack/types' KnownBlock. Ours are narrower (only what we render) and the
 * same JSON; the renderers' tests check every block against Slack's Block Kit limits and the emulator
 * refuses what Slack would.
 */
export function asSlackBlocks(blocks: Block[]): types.KnownBlock[] {
  return blocks as unknown as types.KnownBlock[];
}

/**
 * A stored slash command's form fields as Bolt's command payload. They are the fields Slack sent
 * (storedCommand kept every string field), so the handler reads the same values it read the first time.
 */
export function asSlackCommand(fields: Record<string, string>): SlackCommandMiddlewareArgs['command'] {
  return fields as unknown as SlackCommandMiddlewareArgs['command'];
}

/**
 * The arguments a recovered command's handler is called with: the command, an answer through its
 * response_url and the app's client; the rest are no-ops, since the request was acknowledged long ago.
 */
export function asCommandArgs(args: object): SlackCommandMiddlewareArgs & AllMiddlewareArgs {
  return args as unknown as SlackCommandMiddlewareArgs & AllMiddlewareArgs;
}

// ── config ───────────────────────────────────────────────────────────────────────────────────

/**
 * A zod schema as the loose shape the config loader walks for "did you mean" hints (`_zod.def`:
 * type, shape, innerType, options…). zod 4 exposes `_zod.def` on every schema; its typed union is
 * too wide to walk without a cast, and the walk checks each field before use.
 */
export function asZodWalkable(schema: object): ZodWalkable {
  return schema as unknown as ZodWalkable;
}

// ── Kubernetes ───────────────────────────────────────────────────────────────────────────────

/**
 * The sandbox's in-memory cluster as the client the routers take. The route routers call only
 * `custom.getNamespacedCustomObject` and `custom.replaceNamespacedCustomObject` (see
 * kubernetes-route-traffic.ts), which the stand-in answers with the same shapes; nothing else of
 * the client is reached.
 */
export function asKubernetesApis(partial: { custom: object; options: object; timeoutMs: number }): KubernetesApis {
  return partial as unknown as KubernetesApis;
}

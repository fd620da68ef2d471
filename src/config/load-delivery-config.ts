import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { deliveryConfigSchema, type DeliveryConfig } from './delivery-schema.js';
import { asZodWalkable } from '../unchecked.js';
import { createSourceMap, type ConfigSourceMap, type KeyPath } from './source-map.js';
import { validateDeliveryConfig } from './validate-delivery-config.js';

/**
 * Reads delivery.yaml, validates it against the schema and across its parts, and reports every problem
 * at once as `file:line:column  key.path: what was expected (got …)`.
 */

export interface ConfigError {
  file: string;
  /** 1-based; 0 when the file could not be read at all. */
  line: number;
  column: number;
  /** Dotted key path (`services.web.dependsOn.0.service`), empty for problems of the whole file. */
  path: string;
  message: string;
}

export type DeliveryConfigResult =
  | { ok: true; config: DeliveryConfig; path: string; sourceMap: ConfigSourceMap }
  | { ok: false; path: string; errors: ConfigError[] };

/** The example shipped with the project: the configuration reference, and the default. */
export const SHIPPED_DELIVERY_CONFIG = fileURLToPath(new URL('../../examples/delivery.yaml', import.meta.url));

/**
 * Which file to read: the caller's path (DELIVERY_CONFIG), else ./delivery.yaml when it exists, else the
 * shipped example.
 */
export function resolveDeliveryConfigPath(path?: string, cwd: string = process.cwd()): string {
  if (path !== undefined && path.trim() !== '') return resolve(cwd, path);
  const local = resolve(cwd, 'delivery.yaml');
  return existsSync(local) ? local : SHIPPED_DELIVERY_CONFIG;
}

export function loadDeliveryConfig(path?: string, options: { cwd?: string } = {}): DeliveryConfigResult {
  const cwd = options.cwd ?? process.cwd();
  const resolved = resolveDeliveryConfigPath(path, cwd);
  const display = displayPath(resolved, cwd);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return { ok: false, path: resolved, errors: [{ file: display, line: 0, column: 0, path: '', message: `cannot read the delivery config: ${reason}` }] };
  }
  const result = parseDeliveryConfig(text, display);
  return result.ok ? { ...result, path: resolved } : { ...result, path: resolved };
}

/** Parses config text; `file` is only used in error positions. */
export function parseDeliveryConfig(text: string, file: string): DeliveryConfigResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const sourceMap = createSourceMap(document, lineCounter);
  if (document.errors.length > 0) {
    const errors = document.errors.map((error): ConfigError => {
      const position = error.linePos?.[0] ?? { line: 1, col: 1 };
      return { file, line: position.line, column: position.col, path: '', message: `YAML: ${error.message.split('\n')[0]}` };
    });
    return { ok: false, path: file, errors };
  }
  let raw: unknown;
  try {
    raw = document.toJS() ?? {};
  } catch (error) {
    // Some broken YAML (an alias to no anchor, e.g. `*x`) parses without errors but fails here.
    return { ok: false, path: file, errors: [{ file, line: 1, column: 1, path: '', message: `YAML: ${(error as Error).message.split('\n')[0]}` }] };
  }
  const parsed = deliveryConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)).map(({ path, message, at }) => {
      const position = at === 'key' ? sourceMap.locateKey(path) : sourceMap.locate(path);
      return { file, line: position.line, column: position.column, path: dotted(path), message };
    });
    return { ok: false, path: file, errors: sortErrors(errors) };
  }
  const issues = validateDeliveryConfig(parsed.data);
  if (issues.length > 0) {
    const errors = issues.map(({ path, message }) => {
      const position = sourceMap.locate(path);
      return { file, line: position.line, column: position.column, path: dotted(path), message };
    });
    return { ok: false, path: file, errors: sortErrors(errors) };
  }
  return { ok: true, config: parsed.data, path: file, sourceMap };
}

export function formatConfigError(error: ConfigError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  return `${where}  ${error.path ? `${error.path}: ` : ''}${error.message}`;
}

/** Every error, one per line, followed by a count. Takes the errors or the failed result itself. */
export function formatConfigErrors(failed: readonly ConfigError[] | { readonly errors: readonly ConfigError[] }): string {
  const errors = 'errors' in failed ? failed.errors : failed;
  const lines = errors.map(formatConfigError);
  lines.push(`${errors.length} error${errors.length === 1 ? '' : 's'} in the delivery config`);
  return lines.join('\n');
}

function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' || shown.startsWith('..') ? path : shown;
}

function dotted(path: KeyPath): string {
  return path.map(String).join('.');
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
}

type Described = { path: KeyPath; message: string; at: 'key' | 'value' };

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): Described[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const candidates = knownKeysAt(path, raw);
        const suggestion = suggest(key, candidates);
        const hint = suggestion
          ? ` (did you mean '${suggestion}'?)`
          : candidates.length > 0
            ? ` (expected one of: ${candidates.join(', ')})`
            : '';
        return { path: [...path, key], message: `unknown key '${key}'${hint}`, at: 'key' as const };
      });
    case 'invalid_key': {
      const inner = issue.issues.map((nested) => nested.message).join('; ');
      return [{ path, message: `invalid name '${String(path[path.length - 1])}': ${inner}`, at: 'key' }];
    }
    case 'invalid_type':
      if (value === undefined) return [{ path, message: `required: expected ${article(issue.expected)} (missing)`, at: 'value' }];
      return [{ path, message: `expected ${article(issue.expected)} (got ${describeValue(value)})`, at: 'value' }];
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string' && 'options' in issue && Array.isArray(issue.options)) {
        const options = (issue.options as unknown[]).map((option) => `'${String(option)}'`).join(', ');
        const at = path[path.length - 1] === issue.discriminator ? path : [...path, issue.discriminator];
        return [{ path: at, message: `expected one of ${options} (got ${describeValue(valueAt(raw, at))})`, at: 'value' }];
      }
      return [{ path, message: `${stripPrefix(issue.message)} (got ${describeValue(value)})`, at: 'value' }];
    default: {
      const message = stripPrefix(issue.message);
      // Messages that already quote the rejected text ("…, got \"3x\"") need no second copy.
      return [{ path, message: /\bgot\b/.test(message) ? message : `${message} (got ${describeValue(value)})`, at: 'value' }];
    }
  }
}

function stripPrefix(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Too (small|big): /, '');
}

function article(type: string): string {
  const nouns: Record<string, string> = {
    object: 'a mapping of keys',
    record: 'a mapping of keys',
    array: 'a list',
    string: 'a text',
    number: 'a number',
    boolean: 'true or false',
    date: 'a date such as 2026-12-20T00:00:00-05:00',
  };
  return nouns[type] ?? type;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function valueAt(raw: unknown, path: KeyPath): unknown {
  let node = raw;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The internals of zod 4 schemas this file walks to list the keys an object accepts. */
type SchemaDef = {
  type: string;
  shape?: Record<string, ZodLike>;
  valueType?: ZodLike;
  element?: ZodLike;
  innerType?: ZodLike;
  in?: ZodLike;
  options?: ZodLike[];
  discriminator?: string;
  values?: unknown[];
};
export type ZodWalkable = { _zod: { def: SchemaDef } };
type ZodLike = ZodWalkable;

/** Keys the schema accepts for the object at `path`, for "did you mean" hints. */
function knownKeysAt(path: KeyPath, raw: unknown): string[] {
  let schema: ZodLike | undefined = asZodWalkable(deliveryConfigSchema);
  for (let depth = 0; depth <= path.length && schema; ) {
    const def: SchemaDef = schema._zod.def;
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.type === 'union' && def.options) {
      const data = valueAt(raw, path.slice(0, depth)) as Record<string, unknown> | undefined;
      schema = pickOption(def, data);
    } else if (depth === path.length) {
      return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    } else {
      const segment = path[depth]!;
      depth += 1;
      if (def.type === 'object' && def.shape) schema = def.shape[String(segment)];
      else if (def.type === 'record') schema = def.valueType;
      else if (def.type === 'array') schema = def.element;
      else return [];
    }
  }
  return [];
}

function pickOption(def: SchemaDef, data: Record<string, unknown> | undefined): ZodLike | undefined {
  const discriminator = def.discriminator;
  if (!discriminator || !data) return undefined;
  return def.options?.find((option) => {
    const literal = option._zod.def.shape?.[discriminator]?._zod.def;
    return literal?.values?.includes(data[discriminator]) ?? false;
  });
}

/** The known key a misspelt one most likely meant: same letters ignoring case and `_`/`-`, a prefix, or a small edit. */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  const normal = (text: string) => text.toLowerCase().replace(/[-_\s]/g, '');
  const wanted = normal(key);
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const known = normal(candidate);
    let score: number;
    if (known === wanted) score = 0;
    else if (Math.min(known.length, wanted.length) >= 3 && (wanted.startsWith(known) || known.startsWith(wanted))) score = 1;
    else {
      const distance = editDistance(wanted, known);
      if (distance > Math.max(1, Math.floor(known.length / 3))) continue;
      score = 1 + distance;
    }
    if (!best || score < best.score) best = { candidate, score };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

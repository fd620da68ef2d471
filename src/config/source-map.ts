import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** A key path into the config, as zod reports it: `['services', 'web', 'dependsOn', 0, 'service']`. */
export type KeyPath = readonly (string | number)[];

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** False when the path does not exist in the file and this is its nearest existing ancestor. */
  exact: boolean;
}

/**
 * Finds where a key path sits in the YAML source, so that any check made after parsing (here, in
 * services or at start-up) can still point at a line of delivery.yaml.
 */
export interface ConfigSourceMap {
  /**
   * Position of the value at `path` when it is a scalar (`team: paymnts` → the `paymnts`), else of its
   * key (`dependsOn:`); for a missing path, of the nearest ancestor that exists.
   */
  locate(path: KeyPath): SourcePosition;
  /** Position of the key itself (`bake_time:`), for complaints about the key rather than its value. */
  locateKey(path: KeyPath): SourcePosition;
}

export function createSourceMap(document: Document, lineCounter: LineCounter): ConfigSourceMap {
  function find(path: KeyPath, preferValue: boolean): SourcePosition {
    let node: unknown = document.contents;
    let offset = rangeStart(node) ?? 0;
    let exact = true;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (!pair) {
          exact = false;
          break;
        }
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        offset = rangeStart(node) ?? offset;
      } else {
        exact = false;
        break;
      }
    }
    if (exact && preferValue && isScalar(node)) offset = rangeStart(node) ?? offset;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, exact };
  }
  return {
    locate: (path) => find(path, true),
    locateKey: (path) => find(path, false),
  };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

import type { Percentile } from './prng.js';

/**
 * What a health check's query asks the simulated fleet, read from its text after the probe has filled
 * in {service}, {environment}, {infraSet} and {version}. Queries are written for Datadog or
 * Prometheus; the sandbox does not evaluate them, it recognises which infra-set and which golden
 * signal they name, so the example config's checks run unchanged against the simulated fleet.
 */
export type SimulatedSignal =
  | { kind: 'requests' }
  | { kind: 'errors' }
  | { kind: 'latency'; percentile: Percentile }
  | { kind: 'saturation' };

export type SimulatedQuery =
  | { kind: 'query'; infraSetId: string; signal: SimulatedSignal; perSecond: boolean }
  | { kind: 'unrecognised'; reason: string };

/** Tag syntaxes naming an infra-set: Datadog `infra_set:x`, Prometheus `infra_set="x"`, and variants. */
const INFRA_SET_TAG = /\binfra[_-]?set(?:_id)?\s*(?::|=~?|==)\s*"?([\w.@:/-]+?)"?(?=[\s,}\])]|$)/i;

/** The fleet's infra-sets as the parser needs them: a lookup for a tagged id, every id for an untagged query. */
export interface KnownInfraSets {
  has(infraSetId: string): boolean;
  ids(): Iterable<string>;
}

export function parseSimulatedQuery(query: string, known: KnownInfraSets | Iterable<string>): SimulatedQuery {
  const infraSetId = findInfraSet(query, isLookup(known) ? known : new Set(known));
  if (!infraSetId) return { kind: 'unrecognised', reason: `the query names no infra-set of the simulated fleet: ${query}` };
  // Classify on the text without the infra-set id, so an id like "errors-api-v2" cannot pose as a signal.
  const text = query.split(infraSetId).join(' ').toLowerCase();
  const signal = classify(text);
  if (!signal) return { kind: 'unrecognised', reason: `the query names no golden signal the simulated fleet knows (requests, errors, latency, saturation): ${query}` };
  const perSecond = /as_rate\(|\brate\(|per_second/.test(text) && !/as_count\(|increase\(/.test(text);
  return { kind: 'query', infraSetId, signal, perSecond };
}

function isLookup(known: KnownInfraSets | Iterable<string>): known is KnownInfraSets {
  return typeof (known as Partial<KnownInfraSets>).ids === 'function';
}

/**
 * A tagged id is looked up, not searched for: a probe asks this for every check of every baking
 * canary, and a fleet of thousands of infra-sets made each query a scan and a sort of them all.
 */
function findInfraSet(query: string, known: KnownInfraSets | Set<string>): string | undefined {
  const tagged = INFRA_SET_TAG.exec(query)?.[1];
  if (tagged && known.has(tagged)) return tagged;
  // Longest first, so "checkout-v2-b" wins over "checkout-v2".
  const ids = [...(known instanceof Set ? known : known.ids())];
  return ids.sort((a, b) => b.length - a.length).find((id) => query.includes(id));
}

function classify(text: string): SimulatedSignal | undefined {
  const percentile = /p99\.9|p999|0\.999/.test(text)
    ? 'p99.9'
    : /p99|0\.99\b/.test(text)
      ? 'p99'
      : /p95|0\.95\b/.test(text)
        ? 'p95'
        : /p50|median|0\.5\b/.test(text)
          ? 'p50'
          : undefined;
  if (/latency|duration|response_time|_seconds_bucket|\bms\b/.test(text) || percentile) {
    return { kind: 'latency', percentile: percentile ?? 'p99' };
  }
  if (/error|5xx|fail|(?:status_code|status|code)\s*(?::|=~?)\s*"?5/.test(text)) return { kind: 'errors' };
  if (/cpu|memory|saturation|utili[sz]ation|connections/.test(text)) return { kind: 'saturation' };
  if (/hits|request|count|rps|throughput|traffic/.test(text)) return { kind: 'requests' };
  return undefined;
}

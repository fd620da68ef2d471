/**
 * Wall-clock time in an IANA time zone, without a date library. A wall-clock time is written as the
 * epoch milliseconds it would have in UTC ("fake UTC"), so that plain arithmetic on it never crosses a
 * daylight-saving change.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let existing = formatters.get(timeZone);
  if (!existing) {
    existing = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, existing);
  }
  return existing;
}

/** True when the runtime knows the zone (Intl throws RangeError for an unknown one). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instantMs` in `timeZone`, as fake-UTC milliseconds. */
export function wallClock(instantMs: number, timeZone: string): number {
  return instantMs + offsetAt(instantMs, timeZone);
}

/**
 * Zone offsets are multiples of 15 minutes and change on a quarter hour, so the offset is the same
 * throughout a quarter hour: computing it once per zone and quarter saves most Intl formatting.
 */
const QUARTER_MS = 900_000;
const offsets = new Map<string, number>();

function offsetAt(instantMs: number, timeZone: string): number {
  const quarter = Math.floor(instantMs / QUARTER_MS);
  const key = `${timeZone}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = quarter * QUARTER_MS;
    const parts: Record<string, number> = {};
    for (const part of formatter(timeZone).formatToParts(new Date(start))) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    offset = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - start;
    // A bounded cache: a long-running process asks about a drifting set of quarters.
    if (offsets.size >= 20_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

const DAY_MS = 86_400_000;

/**
 * The instant a wall-clock time denotes, resolved like Temporal's "compatible" disambiguation:
 * a time that occurs twice (the repeated hour when clocks go back) is its first occurrence; a time
 * that does not exist (the hour skipped when clocks go forward) is moved later by the size of the gap,
 * so 02:30 on a spring-forward night in New York is 03:30 EDT.
 */
export function instantOf(wallMs: number, timeZone: string): number {
  // Zone offsets change at most once within a day either side of any real transition.
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  const candidates = [...new Set([wallMs - before, wallMs - after])]
    .filter((instant) => wallClock(instant, timeZone) === wallMs)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  // In a gap: read the wall time with the offset in force before the change.
  return wallMs - before;
}

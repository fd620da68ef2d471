import { Temporal } from 'temporal-polyfill';

/**
 * Wall-clock time in an IANA time zone, on Temporal (the temporal-polyfill package until Node ships
 * it): a pure function of its inputs and the runtime's zone data, as Intl is. A wall-clock time is
 * written as the epoch milliseconds it would have in UTC ("fake UTC"), so that plain arithmetic on it
 * never crosses a daylight-saving change, and cron occurrences can be walked on it.
 *
 * The caches below only remember answers Temporal gave: window checks ask about the same zones,
 * quarters and occurrences again and again (every release's gates, every tick), and one Temporal
 * conversion costs tens of microseconds.
 */

/** True when the runtime knows the zone (Temporal throws RangeError for an unknown one). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
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
 * Zone offsets are whole minutes and change on a quarter hour, so the offset is the same throughout
 * a quarter hour: it is asked of Temporal once per zone and quarter.
 */
const QUARTER_MS = 900_000;
const offsets = new Map<string, number>();

function offsetAt(instantMs: number, timeZone: string): number {
  const quarter = Math.floor(instantMs / QUARTER_MS);
  const key = `${timeZone}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = Temporal.Instant.fromEpochMilliseconds(quarter * QUARTER_MS).toZonedDateTimeISO(timeZone).offsetNanoseconds / 1_000_000;
    // A bounded cache: a long-running process asks about a drifting set of quarters.
    if (offsets.size >= 20_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

const instants = new Map<string, number>();

/**
 * The instant a wall-clock time denotes, with Temporal's "compatible" disambiguation (as RFC 5545
 * and cron do): a time that occurs twice (the repeated hour when clocks go back) is its first
 * occurrence; a time that does not exist (the hour skipped when clocks go forward) is moved later by
 * the size of the gap, so 02:30 on a spring-forward night in New York is 03:30 EDT.
 */
export function instantOf(wallMs: number, timeZone: string): number {
  const key = `${timeZone}|${wallMs}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    const wall = new Date(wallMs);
    instant = Temporal.PlainDateTime.from({
      year: wall.getUTCFullYear(),
      month: wall.getUTCMonth() + 1,
      day: wall.getUTCDate(),
      hour: wall.getUTCHours(),
      minute: wall.getUTCMinutes(),
      second: wall.getUTCSeconds(),
      millisecond: wall.getUTCMilliseconds(),
    }).toZonedDateTime(timeZone, { disambiguation: 'compatible' }).epochMilliseconds;
    if (instants.size >= 20_000) instants.clear();
    instants.set(key, instant);
  }
  return instant;
}

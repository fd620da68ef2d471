import { CronExpressionParser } from 'cron-parser';
import { formatDuration } from '../../config/duration.js';
import { instantOf, isValidTimeZone, wallClock } from './zoned-time.js';

/**
 * Maintenance windows and scheduled freezes: may a deploy start or advance at a given instant?
 *
 * A window opens at every occurrence of its cron expression, read as wall-clock time in its IANA
 * zone, and stays open for `duration` real seconds. Occurrences are computed on wall-clock time
 * (where no hour is skipped or repeated) and only then turned into instants, so daylight-saving
 * changes behave predictably:
 * - a time skipped when clocks go forward still opens the window, later by the size of the gap
 *   (02:30 on the spring-forward night in New York opens at 03:30 EDT);
 * - a time repeated when clocks go back opens the window once, at its first occurrence;
 * - a window spanning a change lasts `duration` real time (8h from 22:00 ends at 07:00 after a
 *   spring-forward night, 05:00 after a fall-back one).
 */

export interface MaintenanceWindow {
  /** Five-field cron expression (minute hour day-of-month month day-of-week). */
  cron: string;
  /** Seconds. */
  duration: number;
  /** IANA zone, e.g. America/New_York. */
  timezone: string;
  name?: string | undefined;
}

export interface ScheduledFreeze {
  from: Date;
  to: Date;
  reason: string;
}

/** `closesAt` is null when there are no windows, or when they overlap without a gap for the next 31 days. */
export type WindowStatus =
  | { open: true; closesAt: Date | null }
  | { open: false; code: 'outside_window'; reopensAt: Date | null; reason: string };

export type FreezeStatus = { frozen: false } | { frozen: true; code: 'scheduled_freeze'; until: Date; reason: string };

export type DeployWindowStatus =
  | { open: true; closesAt: Date | null }
  | { open: false; code: 'outside_window' | 'scheduled_freeze'; reopensAt: Date | null; reason: string };

export type CronCheck = { ok: true } | { ok: false; message: string };

const HOUR_MS = 3_600_000;
/** More than any zone's daylight-saving shift: bounds how far wall-clock and real order can disagree. */
const SHIFT_MS = 3 * HOUR_MS;
const MAX_STEPS = 20_000;
/** Windows that keep overlapping for longer than this are reported as open with no end in sight. */
const HORIZON_MS = 31 * 86_400_000;

/** Checks a window's cron expression: five fields, each valid for cron-parser. */
export function checkWindowCron(expression: string): CronCheck {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return { ok: false, message: `expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}` };
  }
  try {
    CronExpressionParser.parse(expression, { currentDate: new Date(0), tz: 'UTC', strict: false });
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/**
 * A cron expression compiled for fast walking over wall-clock days. Expressions with cron-parser's
 * special characters (L, W, #, H) keep using cron-parser's own iterator.
 */
type CompiledCron =
  | { kind: 'plain'; minutesOfDay: number[]; months: Set<number>; daysOfMonth: Set<number>; daysOfWeek: Set<number>; domAny: boolean; dowAny: boolean }
  | { kind: 'parser'; expression: string };

const compiled = new Map<string, CompiledCron>();
const DAY_MS = 86_400_000;
/** Far enough for any valid expression to occur (a 29 February comes within 8 years). */
const MAX_DAYS = 8 * 366;

function compile(expression: string): CompiledCron {
  let result = compiled.get(expression);
  if (result) return result;
  const fields = CronExpressionParser.parse(expression, { currentDate: new Date(0), tz: 'UTC' }).fields;
  const numbers = (values: readonly (number | string)[]) => values.every((value) => typeof value === 'number');
  const plain =
    [fields.minute, fields.hour, fields.dayOfMonth, fields.month, fields.dayOfWeek].every((field) => numbers(field.values) && !field.hasLastChar) &&
    !fields.dayOfWeek.nthDay &&
    !/[WH]/.test(expression.trim().split(/\s+/)[2] ?? '');
  if (plain) {
    const minutesOfDay = (fields.hour.values as number[])
      .flatMap((hour) => (fields.minute.values as number[]).map((minute) => hour * 60 + minute))
      .sort((a, b) => a - b);
    result = {
      kind: 'plain',
      minutesOfDay,
      months: new Set(fields.month.values as number[]),
      daysOfMonth: new Set(fields.dayOfMonth.values as number[]),
      daysOfWeek: new Set((fields.dayOfWeek.values as number[]).map((day) => day % 7)),
      domAny: fields.dayOfMonth.isWildcard,
      dowAny: fields.dayOfWeek.isWildcard,
    };
  } else {
    result = { kind: 'parser', expression };
  }
  if (compiled.size >= 1_000) compiled.clear();
  compiled.set(expression, result);
  return result;
}

function dayMatches(cron: Extract<CompiledCron, { kind: 'plain' }>, day: number): boolean {
  const date = new Date(day * DAY_MS);
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dom = cron.daysOfMonth.has(date.getUTCDate());
  const dow = cron.daysOfWeek.has(date.getUTCDay());
  // Classic cron: with both day fields restricted, either may match; otherwise both must.
  return !cron.domAny && !cron.dowAny ? dom || dow : dom && dow;
}

/** Wall-clock occurrences at or before `fromWall`, latest first. */
function* occurrencesBackward(expression: string, fromWall: number): Generator<number> {
  const cron = compile(expression);
  if (cron.kind === 'parser') {
    const iterator = CronExpressionParser.parse(expression, { currentDate: new Date(fromWall + 1), tz: 'UTC' });
    for (let step = 0; step < MAX_STEPS; step++) yield iterator.prev().getTime();
    return;
  }
  const firstDay = Math.floor(fromWall / DAY_MS);
  for (let day = firstDay; day > firstDay - MAX_DAYS; day--) {
    if (!dayMatches(cron, day)) continue;
    for (let index = cron.minutesOfDay.length - 1; index >= 0; index--) {
      const wall = day * DAY_MS + cron.minutesOfDay[index]! * 60_000;
      if (wall <= fromWall) yield wall;
    }
  }
}

/** Wall-clock occurrences at or after `fromWall`, earliest first. */
function* occurrencesForward(expression: string, fromWall: number): Generator<number> {
  const cron = compile(expression);
  if (cron.kind === 'parser') {
    const iterator = CronExpressionParser.parse(expression, { currentDate: new Date(fromWall - 1), tz: 'UTC' });
    for (let step = 0; step < MAX_STEPS; step++) yield iterator.next().getTime();
    return;
  }
  const firstDay = Math.floor(fromWall / DAY_MS);
  for (let day = firstDay; day < firstDay + MAX_DAYS; day++) {
    if (!dayMatches(cron, day)) continue;
    for (const minute of cron.minutesOfDay) {
      const wall = day * DAY_MS + minute * 60_000;
      if (wall >= fromWall) yield wall;
    }
  }
}

/** Runs a generator that may throw when cron-parser finds no further occurrence. */
function* safely(occurrences: Generator<number>): Generator<number> {
  try {
    yield* occurrences;
  } catch {
    // no further occurrence within cron-parser's search range
  }
}

/** The instant of the latest opening at or before `atMs`, if any. */
export function latestOpening(window: MaintenanceWindow, atMs: number): number | undefined {
  let best: { instant: number; wall: number } | undefined;
  for (const wall of safely(occurrencesBackward(window.cron, wallClock(atMs, window.timezone) + SHIFT_MS))) {
    if (best && wall < best.wall - 2 * SHIFT_MS) break;
    const instant = instantOf(wall, window.timezone);
    if (instant <= atMs && (!best || instant > best.instant)) best = { instant, wall };
  }
  return best?.instant;
}

/** The instant of the earliest opening strictly after `afterMs`, if any. */
export function nextOpening(window: MaintenanceWindow, afterMs: number): number | undefined {
  let best: { instant: number; wall: number } | undefined;
  for (const wall of safely(occurrencesForward(window.cron, wallClock(afterMs, window.timezone) - SHIFT_MS))) {
    if (best && wall > best.wall + 2 * SHIFT_MS) break;
    const instant = instantOf(wall, window.timezone);
    if (instant > afterMs && (!best || instant < best.instant)) best = { instant, wall };
  }
  return best?.instant;
}

/** The end of the window occurrence covering `atMs`, or undefined when that window is closed then. */
function openUntil(window: MaintenanceWindow, atMs: number): number | undefined {
  const opened = latestOpening(window, atMs);
  if (opened === undefined) return undefined;
  const closes = opened + window.duration * 1000;
  return atMs < closes ? closes : undefined;
}

export function describeWindow(window: MaintenanceWindow): string {
  const schedule = `${window.cron} ${window.timezone} for ${formatDuration(window.duration)}`;
  return window.name ? `${window.name} (${schedule})` : schedule;
}

/** Is a deploy allowed at `at` by these windows? No windows means always open. */
export function windowStatus(windows: readonly MaintenanceWindow[], at: Date): WindowStatus {
  const atMs = at.getTime();
  if (windows.length === 0) return { open: true, closesAt: null };
  let closes: number | undefined;
  for (const window of windows) {
    const until = openUntil(window, atMs);
    if (until !== undefined && (closes === undefined || until > closes)) closes = until;
  }
  if (closes !== undefined) {
    // Windows that overlap or touch form one open period: it closes when the last of them does.
    let current: number = closes;
    while (current - atMs <= HORIZON_MS) {
      let extended: number = current;
      for (const window of windows) {
        const until = openUntil(window, current);
        if (until !== undefined && until > extended) extended = until;
      }
      if (extended === current) return { open: true, closesAt: new Date(current) };
      current = extended;
    }
    return { open: true, closesAt: null };
  }
  let reopens: number | undefined;
  for (const window of windows) {
    const next = nextOpening(window, atMs);
    if (next !== undefined && (reopens === undefined || next < reopens)) reopens = next;
  }
  const names = windows.map(describeWindow).join('; ');
  return {
    open: false,
    code: 'outside_window',
    reopensAt: reopens === undefined ? null : new Date(reopens),
    reason: `outside the maintenance window${windows.length > 1 ? 's' : ''}: ${names}`,
  };
}

/** Is `at` inside a scheduled freeze ([from, to))? Overlapping or touching freezes count as one. */
export function frozenAt(freezes: readonly ScheduledFreeze[], at: Date): FreezeStatus {
  const atMs = at.getTime();
  const active = freezes.filter((freeze) => freeze.from.getTime() <= atMs && atMs < freeze.to.getTime());
  if (active.length === 0) return { frozen: false };
  let until = Math.max(...active.map((freeze) => freeze.to.getTime()));
  const reasons = new Set(active.map((freeze) => freeze.reason));
  for (let changed = true; changed; ) {
    changed = false;
    for (const freeze of freezes) {
      if (freeze.from.getTime() <= until && freeze.to.getTime() > until) {
        until = freeze.to.getTime();
        reasons.add(freeze.reason);
        changed = true;
      }
    }
  }
  return { frozen: true, code: 'scheduled_freeze', until: new Date(until), reason: [...reasons].join('; ') };
}

/**
 * Windows and freezes together, as a gate reads them: a freeze wins over an open window, and a
 * frozen environment reopens at the first window opening after the freeze ends.
 */
export function deployWindowStatus(environment: { windows: readonly MaintenanceWindow[]; freezes: readonly ScheduledFreeze[] }, at: Date): DeployWindowStatus {
  const freeze = frozenAt(environment.freezes, at);
  if (!freeze.frozen) {
    const status = windowStatus(environment.windows, at);
    if (status.open) {
      const nextFreeze = environment.freezes
        .map((candidate) => candidate.from.getTime())
        .filter((from) => from > at.getTime())
        .sort((a, b) => a - b)[0];
      if (nextFreeze !== undefined && (status.closesAt === null || nextFreeze < status.closesAt.getTime())) {
        return { open: true, closesAt: new Date(nextFreeze) };
      }
      return status;
    }
    return status;
  }
  const after = windowStatus(environment.windows, freeze.until);
  const reopensAt = after.open ? freeze.until : after.reopensAt;
  return { open: false, code: 'scheduled_freeze', reopensAt, reason: `frozen: ${freeze.reason} (until ${freeze.until.toISOString()})` };
}

/** The zone check used by config validation, re-exported so callers need not know where it lives. */
export { isValidTimeZone };

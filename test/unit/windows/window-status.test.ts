import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkWindowCron,
  deployWindowStatus,
  frozenAt,
  windowStatus,
  type MaintenanceWindow,
} from '../../../src/domain/windows/window-status.js';
import { instantOf, wallClock } from '../../../src/domain/windows/zoned-time.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const HOUR = 3600;

const weekdays: MaintenanceWindow = { name: 'business hours', cron: '0 9 * * 1-5', duration: 8 * HOUR, timezone: NY };

function status(windows: MaintenanceWindow[], iso: string) {
  const result = windowStatus(windows, new Date(iso));
  return result.open
    ? { open: true, closesAt: result.closesAt?.toISOString() ?? null }
    : { open: false, reopensAt: result.reopensAt?.toISOString() ?? null };
}

describe('windowStatus', () => {
  it('is always open without windows', () => {
    expect(windowStatus([], new Date('2026-06-01T00:00:00Z'))).toEqual({ open: true, closesAt: null });
  });

  it.each([
    // A weekday 09:00–17:00 New York window, in EDT (UTC-4) and EST (UTC-5).
    ['2026-06-01T13:00:00Z', { open: true, closesAt: '2026-06-01T21:00:00.000Z' }], // Mon 09:00 EDT, opening instant
    ['2026-06-01T20:59:59Z', { open: true, closesAt: '2026-06-01T21:00:00.000Z' }],
    ['2026-06-01T21:00:00Z', { open: false, reopensAt: '2026-06-02T13:00:00.000Z' }], // closes at 17:00 sharp
    ['2026-06-05T22:00:00Z', { open: false, reopensAt: '2026-06-08T13:00:00.000Z' }], // Friday evening → Monday
    ['2026-06-06T15:00:00Z', { open: false, reopensAt: '2026-06-08T13:00:00.000Z' }], // Saturday
    ['2026-01-05T14:30:00Z', { open: true, closesAt: '2026-01-05T22:00:00.000Z' }], // winter: 09:00 EST = 14:00Z
    ['2026-01-05T13:30:00Z', { open: false, reopensAt: '2026-01-05T14:00:00.000Z' }],
  ])('weekday window at %s', (at, expected) => {
    expect(status([weekdays], at)).toEqual(expected);
  });

  it('gives a reason and a stable code when closed', () => {
    const result = windowStatus([weekdays], new Date('2026-06-06T15:00:00Z'));
    expect(result).toMatchObject({ open: false, code: 'outside_window' });
    expect(result.open ? '' : result.reason).toContain('business hours (0 9 * * 1-5 America/New_York for 8h)');
  });

  describe('spring forward (clocks skip an hour)', () => {
    // New York: 2026-03-08 02:00 EST → 03:00 EDT (07:00Z). Berlin: 2026-03-29 02:00 CET → 03:00 CEST (01:00Z).
    it.each([
      [NY, '2026-03-08', '2026-03-08T07:30:00.000Z', '2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z'],
      [BERLIN, '2026-03-29', '2026-03-29T01:30:00.000Z', '2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z'],
    ])('a 02:30 window in %s on %s opens once, one gap later (03:30 summer time)', (timezone, _day, opening, dayBefore, dayAfter) => {
      const window: MaintenanceWindow = { cron: '30 2 * * *', duration: 30 * 60, timezone };
      const openingMs = Date.parse(opening);
      expect(status([window], new Date(openingMs - 60_000).toISOString())).toEqual({ open: false, reopensAt: opening });
      expect(status([window], opening)).toEqual({ open: true, closesAt: new Date(openingMs + 30 * 60_000).toISOString() });
      // The days around the change open at 02:30 local as usual.
      expect(status([window], dayBefore)).toMatchObject({ open: true });
      expect(status([window], dayAfter)).toMatchObject({ open: true });
    });

    it('an 8h window spanning the change lasts 8 real hours (New York, 22:00 EST → 07:00 EDT)', () => {
      const night: MaintenanceWindow = { cron: '0 22 * * 6', duration: 8 * HOUR, timezone: NY };
      // Saturday 2026-03-07 22:00 EST = 2026-03-08T03:00Z; 8 real hours later is 11:00Z = 07:00 EDT.
      expect(status([night], '2026-03-08T03:00:00Z')).toEqual({ open: true, closesAt: '2026-03-08T11:00:00.000Z' });
      expect(status([night], '2026-03-08T11:00:00Z')).toMatchObject({ open: false });
    });

    it('an 8h window spanning the change lasts 8 real hours (Berlin, 22:00 CET → 07:00 CEST)', () => {
      const night: MaintenanceWindow = { cron: '0 22 * * 6', duration: 8 * HOUR, timezone: BERLIN };
      // Saturday 2026-03-28 22:00 CET = 21:00Z; + 8h = 2026-03-29T05:00Z = 07:00 CEST.
      expect(status([night], '2026-03-28T21:00:00Z')).toEqual({ open: true, closesAt: '2026-03-29T05:00:00.000Z' });
      expect(wallClock(Date.parse('2026-03-29T05:00:00Z'), BERLIN)).toBe(Date.UTC(2026, 2, 29, 7, 0));
    });
  });

  describe('fall back (clocks repeat an hour)', () => {
    // New York: 2026-11-01 02:00 EDT → 01:00 EST, 01:30 happens at 05:30Z and again at 06:30Z.
    // Berlin: 2026-10-25 03:00 CEST → 02:00 CET, 02:30 happens at 00:30Z and again at 01:30Z.
    it.each([
      [NY, '30 1 * * *', '2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z'],
      [BERLIN, '30 2 * * *', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'],
    ])('a window at the repeated time in %s (%s) opens once, at the first occurrence', (timezone, cron, first, second) => {
      const window: MaintenanceWindow = { cron, duration: 30 * 60, timezone };
      expect(status([window], first)).toEqual({ open: true, closesAt: new Date(Date.parse(first) + 30 * 60_000).toISOString() });
      const secondOccurrence = windowStatus([window], new Date(second));
      expect(secondOccurrence.open).toBe(false);
      // And the next opening is the next day's, not the repeated hour.
      expect(secondOccurrence.open ? null : secondOccurrence.reopensAt?.toISOString()).toBe(
        new Date(Date.parse(second) + 24 * 3600_000).toISOString(),
      );
    });

    it('an 8h window spanning the change lasts 8 real hours (New York, 22:00 EDT → 05:00 EST)', () => {
      const night: MaintenanceWindow = { cron: '0 22 * * 6', duration: 8 * HOUR, timezone: NY };
      // Saturday 2026-10-31 22:00 EDT = 2026-11-01T02:00Z; + 8h = 10:00Z = 05:00 EST.
      expect(status([night], '2026-11-01T09:59:00Z')).toEqual({ open: true, closesAt: '2026-11-01T10:00:00.000Z' });
      expect(wallClock(Date.parse('2026-11-01T10:00:00Z'), NY)).toBe(Date.UTC(2026, 10, 1, 5, 0));
    });
  });

  it.each([
    // Both day fields restricted: either matches (classic cron). 2026-06-01 is a Monday, 2026-07-01 a Wednesday.
    ['0 9 1 * 1', '2026-06-08T09:30:00Z', true],
    ['0 9 1 * 1', '2026-07-01T09:30:00Z', true],
    ['0 9 1 * 1', '2026-07-02T09:30:00Z', false],
    // Only one restricted: it alone decides.
    ['0 9 * * 1', '2026-07-01T09:30:00Z', false],
    // Special characters go through cron-parser: L is the last day of the month.
    ['0 22 L * *', '2026-02-28T22:30:00Z', true],
    ['0 22 L * *', '2026-02-27T22:30:00Z', false],
    ['0 9 * * 5#2', '2026-06-12T09:30:00Z', true],
    ['0 9 * * 5#2', '2026-06-05T09:30:00Z', false],
  ])('%s at %s: open %s', (cron, at, open) => {
    expect(windowStatus([{ cron, duration: HOUR, timezone: 'UTC' }], new Date(at)).open).toBe(open);
  });

  it('says when a closed special-character window reopens', () => {
    expect(status([{ cron: '0 22 L * *', duration: HOUR, timezone: 'UTC' }], '2026-02-27T12:00:00Z')).toEqual({
      open: false,
      reopensAt: '2026-02-28T22:00:00.000Z',
    });
  });

  it('joins overlapping windows into one open period', () => {
    const morning: MaintenanceWindow = { cron: '0 9 * * *', duration: 4 * HOUR, timezone: 'UTC' };
    const afternoon: MaintenanceWindow = { cron: '0 12 * * *', duration: 4 * HOUR, timezone: 'UTC' };
    expect(status([morning, afternoon], '2026-06-01T10:00:00Z')).toEqual({ open: true, closesAt: '2026-06-01T16:00:00.000Z' });
    expect(status([morning, afternoon], '2026-06-01T17:00:00Z')).toEqual({ open: false, reopensAt: '2026-06-02T09:00:00.000Z' });
  });
});

describe('instantOf', () => {
  it.each([
    ['ordinary time', Date.UTC(2026, 5, 1, 12, 0), NY, '2026-06-01T16:00:00.000Z'],
    ['skipped time moves later by the gap', Date.UTC(2026, 2, 8, 2, 30), NY, '2026-03-08T07:30:00.000Z'],
    ['repeated time is its first occurrence', Date.UTC(2026, 10, 1, 1, 30), NY, '2026-11-01T05:30:00.000Z'],
    ['Berlin repeated time', Date.UTC(2026, 9, 25, 2, 30), BERLIN, '2026-10-25T00:30:00.000Z'],
  ])('%s', (_what, wall, timezone, expected) => {
    expect(new Date(instantOf(wall, timezone)).toISOString()).toBe(expected);
  });
});

describe('checkWindowCron', () => {
  it.each([
    ['0 9 * * 1-5', true],
    ['*/15 22-23 * * SAT', true],
    ['0 9 * *', false],
    ['0 0 9 * * 1-5', false],
    ['61 9 * * *', false],
    ['0 25 * * *', false],
  ])('%s valid: %s', (cron, ok) => {
    expect(checkWindowCron(cron).ok).toBe(ok);
  });
});

describe('frozenAt and deployWindowStatus', () => {
  const yearEnd = { from: new Date('2026-12-20T05:00:00Z'), to: new Date('2027-01-04T05:00:00Z'), reason: 'year-end freeze' };

  it.each([
    ['2026-12-19T12:00:00Z', false],
    ['2026-12-20T05:00:00Z', true],
    ['2027-01-04T04:59:59Z', true],
    ['2027-01-04T05:00:00Z', false],
  ])('year-end freeze at %s: %s', (at, frozen) => {
    expect(frozenAt([yearEnd], new Date(at)).frozen).toBe(frozen);
  });

  it('joins touching freezes and names both reasons', () => {
    const extra = { from: new Date('2027-01-04T05:00:00Z'), to: new Date('2027-01-05T05:00:00Z'), reason: 'inventory count' };
    const result = frozenAt([yearEnd, extra], new Date('2026-12-25T00:00:00Z'));
    expect(result).toMatchObject({ frozen: true, code: 'scheduled_freeze', until: new Date('2027-01-05T05:00:00Z') });
    expect(result.frozen ? result.reason : '').toBe('year-end freeze; inventory count');
  });

  it('a freeze wins over an open window and reopens at the first window after it', () => {
    // Wednesday 2026-12-23 10:00 EST: inside business hours but frozen. The freeze ends Monday 2027-01-04
    // 00:00 EST; the window then reopens at 09:00 EST (14:00Z).
    const result = deployWindowStatus({ windows: [weekdays], freezes: [yearEnd] }, new Date('2026-12-23T15:00:00Z'));
    expect(result).toMatchObject({ open: false, code: 'scheduled_freeze', reopensAt: new Date('2027-01-04T14:00:00Z') });
  });

  it('an open window closes early when a freeze starts first', () => {
    // Friday 2026-12-18 09:00 EST window would close at 17:00 EST; a freeze from 12:00 EST cuts it.
    const lunch = { from: new Date('2026-12-18T17:00:00Z'), to: new Date('2026-12-19T00:00:00Z'), reason: 'party' };
    expect(deployWindowStatus({ windows: [weekdays], freezes: [lunch] }, new Date('2026-12-18T15:00:00Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-12-18T17:00:00Z'),
    });
  });
});

describe('windowStatus invariants', () => {
  const zones = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];
  const crons = ['0 9 * * 1-5', '30 2 * * *', '30 1 * * 0', '*/20 22-23 * * 6', '0 0 1 * *'];
  // Instants spread over two years, so both daylight-saving changes of every zone are crossed.
  const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }).map((ms) => new Date(ms));
  const window = fc.record({
    cron: fc.constantFrom(...crons),
    duration: fc.integer({ min: 60, max: 2 * 86_400 }),
    timezone: fc.constantFrom(...zones),
  });

  it('an open window is still open just before it closes and closed when it does; a closed one opens when it says', () => {
    fc.assert(
      fc.property(fc.array(window, { minLength: 1, maxLength: 2 }), instant, (windows, at) => {
        const result = windowStatus(windows, at);
        if (result.open) {
          if (result.closesAt === null) return;
          expect(result.closesAt.getTime()).toBeGreaterThan(at.getTime());
          expect(windowStatus(windows, new Date(result.closesAt.getTime() - 1)).open).toBe(true);
          expect(windowStatus(windows, result.closesAt).open).toBe(false);
        } else {
          expect(result.reopensAt).not.toBeNull();
          expect(result.reopensAt!.getTime()).toBeGreaterThan(at.getTime());
          expect(windowStatus(windows, result.reopensAt!).open).toBe(true);
          expect(windowStatus(windows, new Date(result.reopensAt!.getTime() - 1)).open).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('wall clock and instant round-trip outside the skipped hour', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), (at, timezone) => {
        expect(instantOf(wallClock(at.getTime(), timezone), timezone)).toBeLessThanOrEqual(at.getTime());
        // A repeated hour resolves to its first occurrence, so the round trip may land an hour earlier, never later.
        expect(at.getTime() - instantOf(wallClock(at.getTime(), timezone), timezone)).toBeLessThanOrEqual(3_600_000);
        expect(wallClock(instantOf(wallClock(at.getTime(), timezone), timezone), timezone)).toBe(wallClock(at.getTime(), timezone));
      }),
      { numRuns: 200 },
    );
  });
});

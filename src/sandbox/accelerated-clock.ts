import type { Clock } from '../ports/clock.js';

/**
 * Time in the sandbox runs `speed` times faster than on the wall, from the moment the sandbox starts:
 * a ten-minute bake passes in twenty seconds at 30×, yet the config, the judge's windows and the
 * statistics are the production ones. The clock survives a game-day restart of the bot (one clock
 * per sandbox process); a new process starts it no earlier than `resumeFrom`, the latest instant
 * the store has seen, so sandbox time never runs backwards over persisted timers.
 */
export class AcceleratedClock implements Clock {
  readonly #wallAnchor: number;
  readonly #virtualAnchor: number;

  constructor(
    readonly speed: number,
    options: { resumeFrom?: Date | null; wall?: () => number } = {},
  ) {
    if (!(speed >= 1)) throw new Error(`sandbox speed must be at least 1, got ${speed}`);
    this.wall = options.wall ?? Date.now;
    this.#wallAnchor = this.wall();
    this.#virtualAnchor = Math.max(this.#wallAnchor, options.resumeFrom?.getTime() ?? 0);
  }

  private readonly wall: () => number;

  now(): Date {
    return new Date(this.#virtualAnchor + (this.wall() - this.#wallAnchor) * this.speed);
  }
}

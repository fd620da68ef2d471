/** Time is a port so the domain and services can be driven by a fixed or virtual clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: for tests, benchmarks and simulations in virtual time. */
export class ManualClock implements Clock {
  #now: Date;
  constructor(start: Date | string) {
    this.#now = new Date(start);
  }
  now(): Date {
    return new Date(this.#now);
  }
  set(at: Date | string): void {
    this.#now = new Date(at);
  }
  advance(ms: number): Date {
    this.#now = new Date(this.#now.getTime() + ms);
    return this.now();
  }
}

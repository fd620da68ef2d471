import type { Clock } from '../ports/clock.js';
import type { SimulatedFleet, VersionFault } from '../adapters/fleet/simulated-fleet.js';

/**
 * Game days: break the simulated world on purpose from the console and watch the bot cope — a faulty
 * version must roll back, an unreachable metrics source must hold (never promote, never roll back),
 * and a bot restarted in the middle of a stage must resume from what it persisted.
 */

export type GameDayAction =
  | { kind: 'fault_injected'; service: string; version: string; fault: VersionFault }
  | { kind: 'faults_cleared'; service: string | null; version: string | null }
  | { kind: 'metrics_unreachable' }
  | { kind: 'metrics_restored' }
  | { kind: 'bot_restarted'; downForMs: number }
  | { kind: 'bot_restart_failed'; reason: string };

export interface GameDayEntry {
  at: string;
  action: GameDayAction;
}

/** Stops the running bot (engine, scheduler, Slack listeners) and starts a new one on the same database. */
export type RestartBot = () => Promise<void>;

export class GameDay {
  readonly #entries: GameDayEntry[] = [];
  readonly #listeners = new Set<() => void>();
  #restarting = false;
  #restartBot: RestartBot | undefined;

  constructor(
    private readonly fleet: SimulatedFleet,
    private readonly clock: Clock,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** The app hands over how to restart it once it runs; until then the console's restart is disabled. */
  setRestart(restart: RestartBot | undefined): void {
    this.#restartBot = restart;
    this.#notify();
  }

  get entries(): GameDayEntry[] {
    return [...this.#entries];
  }

  get canRestart(): boolean {
    return this.#restartBot !== undefined;
  }

  get restarting(): boolean {
    return this.#restarting;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  injectFault(service: string, version: string, fault: VersionFault): void {
    this.fleet.injectFault(service, version, fault);
    this.#record({ kind: 'fault_injected', service, version, fault });
  }

  /** Clears one version's fault, or every fault when no version is named. */
  clearFaults(service?: string, version?: string): void {
    if (service && version) this.fleet.clearFault(service, version);
    else this.fleet.clearAllFaults();
    this.#record({ kind: 'faults_cleared', service: service ?? null, version: version ?? null });
  }

  setMetricsReachable(reachable: boolean): void {
    this.fleet.setMetricsReachable(reachable);
    this.#record(reachable ? { kind: 'metrics_restored' } : { kind: 'metrics_unreachable' });
  }

  /** Restarts the bot; a second request while one is under way waits for nothing and changes nothing. */
  async restartBot(): Promise<GameDayAction> {
    const restart = this.#restartBot;
    if (!restart) {
      const action: GameDayAction = { kind: 'bot_restart_failed', reason: 'this sandbox was started without a restartable bot' };
      this.#record(action);
      return action;
    }
    if (this.#restarting) return { kind: 'bot_restart_failed', reason: 'a restart is already under way' };
    this.#restarting = true;
    this.#notify();
    const started = this.wallClock();
    let action: GameDayAction;
    try {
      await restart();
      action = { kind: 'bot_restarted', downForMs: this.wallClock() - started };
    } catch (error) {
      action = { kind: 'bot_restart_failed', reason: (error as Error).message };
    } finally {
      this.#restarting = false;
    }
    this.#record(action);
    return action;
  }

  #record(action: GameDayAction): void {
    this.#entries.push({ at: this.clock.now().toISOString(), action });
    if (this.#entries.length > 100) this.#entries.shift();
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

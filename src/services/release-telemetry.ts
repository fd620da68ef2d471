import type { Logger } from 'pino';
import { currentStep } from '../domain/release/cursor.js';
import type { Decision, ReleaseState } from '../domain/release/types.js';
import type { Telemetry, TelemetryFact } from '../ports/telemetry.js';

/** Where a release is: what every transition's and effect's log line carries. */
export interface ReleasePlace {
  releaseId: string;
  environment: string | null;
  service: string | null;
  stage: string | null;
}

type Accepted = Extract<Decision, { kind: 'accepted' }>;

/** Where an outbox effect acts, as far as the effect says (a card render names only its release). */
export function effectPlace(releaseId: string | null, effect: object): Omit<ReleasePlace, 'releaseId'> & { releaseId: string | null } {
  const field = (name: string): string | null => {
    const value = (effect as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : null;
  };
  return { releaseId, environment: field('environment'), service: field('service'), stage: field('stage') };
}

/** The step a transition acted on (before it), or the first one of a new release. */
export function placeOf(before: ReleaseState | null, after: ReleaseState): ReleasePlace {
  const step = currentStep(before ?? after) ?? currentStep(after);
  return {
    releaseId: after.id,
    environment: step?.environment ?? null,
    service: step?.service ?? null,
    stage: step === undefined ? null : step.kind === 'stage' ? step.stage : step.kind,
  };
}

/** What operators count and time in one committed transition, read from its events and the two states. */
export function transitionFacts(before: ReleaseState | null, decision: Accepted, now: Date): TelemetryFact[] {
  const after = decision.state;
  const target = after.plan.path[after.plan.path.length - 1] ?? 'unknown';
  const place = placeOf(before, after);
  const environment = place.environment ?? target;
  const facts: TelemetryFact[] = [];
  for (const event of decision.events) {
    switch (event.type) {
      case 'created':
        facts.push({ kind: 'release_started', environment: target });
        break;
      case 'finished': {
        const outcome = event.data?.outcome;
        if (outcome === 'succeeded' || outcome === 'rolled_back' || outcome === 'aborted') facts.push({ kind: 'release_finished', environment: target, outcome });
        break;
      }
      case 'held':
        facts.push({ kind: 'release_held', environment });
        break;
      case 'health_reading': {
        const verdict = event.data?.verdict;
        if (verdict === 'pass' || verdict === 'fail' || verdict === 'inconclusive' || verdict === 'error') facts.push({ kind: 'health_verdict', verdict });
        break;
      }
      case 'stage_passed': {
        const started = before ? phaseStart(before) : null;
        const stage = typeof event.data?.stage === 'string' ? event.data.stage : place.stage;
        const passedIn = typeof event.data?.environment === 'string' ? event.data.environment : environment;
        if (started !== null && stage !== null) facts.push({ kind: 'stage_passed', environment: passedIn, stage, seconds: (now.getTime() - started) / 1000 });
        break;
      }
      default:
        break;
    }
  }
  // The last rollback move confirmed: traffic is back on what served before the release.
  if (before?.phase.kind === 'rolling_back' && after.phase.kind === 'finished') {
    facts.push({ kind: 'traffic_restored', environment, seconds: (now.getTime() - Date.parse(before.phase.since)) / 1000 });
  }
  return facts;
}

/** When the phase a release was in began: a stage's bake, or the shift before it. */
function phaseStart(state: ReleaseState): number | null {
  const phase = state.phase;
  if (phase.kind === 'baking') return Date.parse(phase.startedAt);
  if ('since' in phase) return Date.parse(phase.since);
  return null;
}

/**
 * Tells operators of committed transitions: their facts to telemetry and one info line each, with
 * the release, environment, service and stage, the input and what happened.
 */
export class ReleaseObserver {
  constructor(
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {}

  transition(before: ReleaseState | null, decision: Accepted, input: string, now: Date): void {
    for (const fact of transitionFacts(before, decision, now)) this.telemetry.record(fact);
    if (decision.events.length === 0) return;
    this.logger.info(
      { ...placeOf(before, decision.state), input, events: decision.events.map((event) => event.type), phase: decision.state.phase.kind },
      decision.events.map((event) => event.message).join('; '),
    );
  }
}

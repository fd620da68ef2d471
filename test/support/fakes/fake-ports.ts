import type { DeployAnnotation, Annotations } from '../../../src/ports/annotations.js';
import type { Chat, MessageRef } from '../../../src/ports/chat.js';
import type { CheckReading, HealthProbe, HealthProbeRequest, HealthReading, Verdict } from '../../../src/ports/health.js';
import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../../src/ports/infra.js';
import type { Traffic, TrafficChange, TrafficOutcome } from '../../../src/ports/traffic.js';
import type { StageChart } from '../../../src/domain/health/stage-chart.js';
import type { ReleaseView } from '../../../src/domain/release/types.js';

/** A traffic router in memory. Like a real one, it applies each idempotency key once. */
export class FakeTraffic implements Traffic {
  /** Every call, including retries of the same key. */
  readonly calls: TrafficChange[] = [];
  /** Changes applied, one per idempotency key. */
  readonly applied: TrafficChange[] = [];
  readonly weights = new Map<string, Record<string, number>>();
  /** Make the next n calls fail with this outcome. */
  failNext: { count: number; outcome: Extract<TrafficOutcome, { kind: 'failed' }> } | null = null;
  /** Called inside setWeights, before applying: lets a test cut an instance off mid-effect. */
  onCall: ((change: TrafficChange) => Promise<void> | void) | null = null;

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    this.calls.push(change);
    if (this.onCall) await this.onCall(change);
    if (this.failNext && this.failNext.count > 0) {
      this.failNext.count -= 1;
      return this.failNext.outcome;
    }
    if (!this.applied.some((previous) => previous.idempotencyKey === change.idempotencyKey)) {
      this.applied.push(change);
      this.weights.set(`${change.target.service}/${change.target.environment}`, { ...change.weights });
    }
    return { kind: 'applied', verified: true };
  }

  /** The applied weight maps of one service in one environment, in order. */
  history(service: string, environment: string): Array<Record<string, number>> {
    return this.applied.filter((change) => change.target.service === service && change.target.environment === environment).map((change) => change.weights);
  }
}

export class FakeInfra implements Infra {
  readonly provisioned: ProvisionRequest[] = [];
  readonly retired: RetireRequest[] = [];
  failProvisionOf = new Set<string>();

  async provision(request: ProvisionRequest): Promise<InfraOutcome> {
    if (this.failProvisionOf.has(request.version)) return { kind: 'failed', retryable: false, reason: `image ${request.version} does not exist` };
    if (!this.provisioned.some((previous) => previous.idempotencyKey === request.idempotencyKey)) this.provisioned.push(request);
    return { kind: 'done' };
  }

  async retire(request: RetireRequest): Promise<InfraOutcome> {
    if (!this.retired.some((previous) => previous.infraSetId === request.infraSetId)) this.retired.push(request);
    return { kind: 'done' };
  }
}

/**
 * A deterministic health probe: each service@version has a verdict (pass unless told), or a script
 * of verdicts consumed one reading at a time (the last repeats). Evidence counts readings, so tests
 * can see it is handed back.
 */
export class ScriptedHealthProbe implements HealthProbe {
  readonly requests: HealthProbeRequest[] = [];
  private readonly scripts = new Map<string, Verdict[]>();

  set(service: string, version: string, verdicts: Verdict | Verdict[]): void {
    this.scripts.set(`${service}@${version}`, Array.isArray(verdicts) ? [...verdicts] : [verdicts]);
  }

  async read(request: HealthProbeRequest): Promise<HealthReading> {
    this.requests.push(request);
    const script = this.scripts.get(`${request.service}@${request.canary.version}`);
    const verdict: Verdict = script ? (script.length > 1 ? script.shift()! : script[0]!) : 'pass';
    const readings = ((request.evidence as { readings?: number } | null)?.readings ?? 0) + 1;
    const errorRate = verdict === 'fail' ? 0.024 : 0.005;
    const window = { from: request.window.from.toISOString(), to: request.window.to.toISOString() };
    const checks: CheckReading[] = request.checks.map((check) => ({
      check: check.name,
      verdict,
      summary: verdict === 'fail' ? 'errors 2.4% vs baseline 0.5% (4.8×)' : verdict === 'pass' ? 'errors 0.5% vs baseline 0.5%' : 'not enough traffic yet',
      // Named as the judge names an error-rate check's values, so charts and evidence draw them.
      values: { errorRate, baselineErrorRate: 0.005 },
      // The judge's evidence, as the real probe reports it (queries named after the infra-sets).
      detail: {
        unit: 'share',
        measure: 'error rate over the stage so far',
        canary: { value: errorRate, requests: 1200 * readings, errors: Math.round(errorRate * 1200 * readings), queries: [`sum:hits{infra_set:${request.canary.infraSetId}}`], window },
        baseline: request.baseline ? { value: 0.005, requests: 118_800 * readings, errors: 594 * readings, queries: [`sum:hits{infra_set:${request.baseline.infraSetId}}`], window } : null,
        bound: { text: "2× the baseline's error rate (1.00%)", value: 0.01, kind: 'ceiling', outcome: verdict === 'fail' ? 'crossed' : verdict === 'pass' ? 'held' : 'undecided' },
        ...(verdict === 'inconclusive' ? { sequential: { llr: 2.1, upper: 6.9, lower: -2.9, progress: 0.3, leaning: 'unhealthy' as const, intervals: readings, minutesToDecide: 3.6 } } : {}),
      },
    }));
    return { verdict, checks, evidence: { readings } };
  }
}

export class FakeChat implements Chat {
  readonly cards = new Map<string, { ref: MessageRef; view: ReleaseView; updates: number }>();
  readonly threadLines: Array<{ ref: MessageRef; text: string }> = [];
  readonly charts: Array<{ ref: MessageRef; chart: StageChart }> = [];
  readonly notifications: Array<{ to: string; text: string }> = [];
  private nextTs = 1;

  async publishCard(view: ReleaseView, existing: MessageRef | null): Promise<MessageRef> {
    const ref = existing ?? { channel: 'C0DEPLOYS', ts: `1700000000.${String(this.nextTs++).padStart(6, '0')}` };
    const previous = this.cards.get(view.id);
    this.cards.set(view.id, { ref, view, updates: (previous?.updates ?? 0) + (existing ? 1 : 0) });
    return ref;
  }

  async postThreadLine(ref: MessageRef, text: string): Promise<void> {
    this.threadLines.push({ ref, text });
  }

  async postThreadChart(ref: MessageRef, chart: StageChart): Promise<void> {
    this.charts.push({ ref, chart });
  }

  async notify(channelOrUserId: string, text: string): Promise<void> {
    this.notifications.push({ to: channelOrUserId, text });
  }
}

export class FakeAnnotations implements Annotations {
  readonly recorded: DeployAnnotation[] = [];
  async record(annotation: DeployAnnotation): Promise<void> {
    this.recorded.push(annotation);
  }
}

export function fakePorts() {
  return { traffic: new FakeTraffic(), infra: new FakeInfra(), health: new ScriptedHealthProbe(), chat: new FakeChat(), annotations: new FakeAnnotations() };
}
export type FakePorts = ReturnType<typeof fakePorts>;

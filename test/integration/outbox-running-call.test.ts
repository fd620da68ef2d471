import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/app/create-engine.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { Infra, InfraOutcome, ProvisionRequest } from '../../src/ports/infra.js';
import type { Database } from '../../src/store/db.js';
import { outbox } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { fakePorts } from '../support/fakes/fake-ports.js';

/** Infra whose provision calls stay open until the test lets them answer; every call is counted. */
class HeldInfra implements Infra {
  readonly calls: ProvisionRequest[] = [];
  #called!: () => void;
  readonly called = new Promise<void>((resolve) => (this.#called = resolve));
  #answer!: (outcome: InfraOutcome) => void;
  readonly #answered = new Promise<InfraOutcome>((resolve) => (this.#answer = resolve));

  provision(request: ProvisionRequest): Promise<InfraOutcome> {
    this.calls.push(request);
    this.#called();
    return this.#answered;
  }
  async retire(): Promise<InfraOutcome> {
    return { kind: 'done' };
  }
  answer(): void {
    this.#answer({ kind: 'done' });
  }
}

const LEASE_MS = 4_000;

describe.each(testDatabaseKinds)('a call still running when its lease runs out, on $name', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => database?.close());
  beforeEach(async () => truncateAll(database.db));

  it('is not made a second time by the process running it: the running call adopts the new claim and finishes under it', async () => {
    const clock = new ManualClock(TUESDAY_MORNING);
    const infra = new HeldInfra();
    // No heartbeat within the test: the lease can only run out, as it does when renewals fail.
    const engine = createEngine({
      db: database.db,
      config: exampleShopConfig(),
      clock,
      ports: { ...fakePorts(), infra },
      logger: silentLogger,
      runLanesAtOnce: false,
      outbox: { leaseMs: LEASE_MS, heartbeatMs: 3_600_000 },
    });
    await seedServing(database.db, [{ environment: 'staging', service: 'checkout', version: 'v1' }], clock.now());
    const deploy = await engine.releases.act({ verb: 'deploy', actor: { userId: 'U0ALICE', userGroupIds: [] }, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'staging' });
    expect(deploy.kind).toBe('accepted');

    const first = engine.runOutbox('critical');
    await infra.called;
    clock.set(new Date(clock.now().getTime() + LEASE_MS + 1_000));
    // The provision row is due again (its lease is over) and claimed again, by the process still running it.
    await engine.runOutbox('critical');
    expect(infra.calls).toHaveLength(1);

    infra.answer();
    await first;
    const [row] = await database.db.select().from(outbox).where(eq(outbox.kind, 'provision'));
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
    while ((await engine.runOutbox('critical')) > 0);
    expect(infra.calls).toHaveLength(1);
    await engine.stop();
  }, 60_000);
});

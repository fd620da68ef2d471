import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookInfra } from '../../src/adapters/infra/webhook-infra.js';
import { WebhookTraffic } from '../../src/adapters/traffic/webhook-traffic.js';
import { ManualClock } from '../../src/ports/clock.js';
import { createEngine } from '../../src/app/create-engine.js';
import type { Database } from '../../src/store/db.js';
import { infraSets } from '../../src/store/schema/index.js';
import { pgliteKind } from '../support/databases.js';
import { drive, seedServing, silentLogger, type EngineHarness } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { sendJson, startHttpFake, type HttpFake } from '../support/http-fake.js';

const SECRET = 'whsec-truth';
const alice = { userId: 'U0ALICE', userGroupIds: [] };
const bob = { userId: 'U0BOB', userGroupIds: [] };

type Body = { type: string; service: string; environment: string; weights?: Record<string, number>; infraSetId?: string; releaseId?: string | null; idempotencyKey: string };
/** A request as received, with the (manual) time it arrived at. */
type Received = Body & { receivedAt: number };

/**
 * A platform team's receiver written from docs/webhooks.md (signature checked as documented, the
 * weights in effect reported back), driven by the real engine through WebhookTraffic and
 * WebhookInfra: what the router is told must be the whole truth, and what the docs show must be
 * what is really sent.
 */
describe('the traffic and infra webhooks, as a receiver sees them', () => {
  let database: Database;
  let receiver: HttpFake;
  let harness: EngineHarness;
  const bodies: Received[] = [];
  const clock = new ManualClock(TUESDAY_MORNING);
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '1m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
    production: {
      stages: [
        { name: 'canary', weight: 1, bake: '2m' },
        { name: 'full', weight: 100, bake: '1m' },
      ],
      health: { interval: '1m', failAfter: 2, holdAfter: 3 },
    },
  });

  beforeAll(async () => {
    database = await pgliteKind.open();
    receiver = await startHttpFake((request, res) => {
      const timestamp = String(request.headers['x-delivery-timestamp']);
      const expected = `v1=${createHmac('sha256', SECRET).update(`${timestamp}.${request.body}`).digest('hex')}`;
      if (request.headers['x-delivery-signature'] !== expected) return sendJson(res, 401, { error: 'bad signature' });
      const body = JSON.parse(request.body) as Body;
      if (request.headers['x-delivery-idempotency-key'] !== body.idempotencyKey) return sendJson(res, 400, { error: 'key mismatch' });
      bodies.push({ ...body, receivedAt: clock.now().getTime() });
      sendJson(res, 200, body.weights ? { weights: body.weights } : { detail: 'done' });
    });
    const target = (path: string) => ({ url: `${receiver.url}${path}`, secret: SECRET, timeoutMs: 5_000, clock });
    const fakes = fakePorts();
    const ports = { ...fakes, traffic: new WebhookTraffic(target('/traffic')), infra: new WebhookInfra(target('/infra')) };
    const engine = createEngine({ db: database.db, config, clock, ports, logger: silentLogger });
    harness = { engine, clock, ports: fakes, db: database.db };
  });
  afterAll(async () => {
    await harness?.engine.stop();
    await receiver?.close();
    await database?.close();
  });

  const trafficCalls = (environment: string) => bodies.filter((body) => body.type === 'traffic.set_weights' && body.environment === environment);

  it('every traffic call names every infra-set that exists, the warm ones at 0; only infra.retire retires; the docs show what is sent', async () => {
    const at = clock.now();
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], at);
    // Two older good sets kept warm in production (checkout keeps 2): the oldest goes once v2 converges.
    for (const [version, minutesAgo] of [['v0', 60], ['vold', 120]] as const) {
      const warmedAt = new Date(at.getTime() - minutesAgo * 60_000);
      await database.db.insert(infraSets).values({ id: `is-seed-production-checkout-${version}`, service: 'checkout', environment: 'production', version, releaseId: null, state: 'warm', weight: 0, createdAt: warmedAt, warmedAt });
    }

    const deployed = await harness.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
    if (deployed.kind !== 'accepted') throw new Error(deployed.message);
    const id = deployed.view.id;
    expect(await drive(harness, async () => (await harness.engine.releases.status(id))?.status === 'waiting')).toBe(true);
    expect((await harness.engine.releases.act({ verb: 'approve', actor: bob, releaseId: id })).kind).toBe('accepted');
    expect(await drive(harness, async () => (await harness.engine.releases.status(id))?.status === 'succeeded')).toBe(true);

    const fresh = `is-${id}-production-checkout`;
    const [v1, v0, old] = ['v1', 'v0', 'vold'].map((version) => `is-seed-production-checkout-${version}`);
    expect(trafficCalls('staging').map((body) => body.weights)).toEqual([{ [`is-${id}-staging-checkout`]: 100, 'is-seed-staging-checkout-v1': 0 }]);
    expect(trafficCalls('production').map((body) => body.weights)).toEqual([
      { [fresh]: 1, [v1!]: 99, [v0!]: 0, [old!]: 0 },
      { [fresh]: 100, [v1!]: 0, [v0!]: 0, [old!]: 0 },
    ]);
    // Retiring is only the explicit call: the oldest warm set, after the release converged.
    const retires = bodies.filter((body) => body.type === 'infra.retire');
    expect(retires.map((body) => body.infraSetId)).toEqual([old]);
    expect(bodies.indexOf(retires[0]!)).toBeGreaterThan(bodies.indexOf(trafficCalls('production').at(-1)!));

    // A /rollback outside the release names them all too, the new set kept warm at 0.
    expect((await harness.engine.releases.act({ verb: 'manual_rollback', actor: alice, service: 'checkout', environment: 'production' })).kind).toBe('accepted');
    await harness.engine.runUntilIdle();
    await harness.engine.settle();
    expect(trafficCalls('production').at(-1)).toMatchObject({ releaseId: null, weights: { [v1!]: 100, [fresh]: 0, [v0!]: 0 } });

    // docs/webhooks.md: each documented request has the fields, types and key shapes really sent.
    const documented = [...readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)]
      .map((match) => JSON.parse(match[1]!.replace(/^ {2}/gm, '')) as Record<string, unknown>)
      .filter((example): example is Body => typeof example.type === 'string');
    expect(documented.map((example) => example.type).sort()).toEqual(['infra.provision', 'infra.retire', 'traffic.set_weights']);
    for (const example of documented) {
      const sent = bodies.find((body) => body.type === example.type && body.releaseId !== null);
      expect(sent, `nothing of type ${example.type} was sent`).toBeDefined();
      expect(Object.keys(example).sort(), example.type).toEqual(Object.keys(sent!).filter((key) => key !== 'receivedAt').sort());
      for (const key of Object.keys(example)) expect(typeof example[key as keyof Body], `${example.type}.${key}`).toBe(typeof sent![key as keyof Body]);
      expect(keyShape(example.idempotencyKey), example.type).toBe(keyShape(sent!.idempotencyKey));
      if (example.infraSetId) expect(example.infraSetId).toMatch(/^is-r[0-9a-f]{10}-production-checkout$/);
      if (example.releaseId) expect(example.releaseId).toMatch(/^r[0-9a-f]{10}$/);
      if (example.weights) {
        for (const infraSet of Object.keys(example.weights)) expect(infraSet).toMatch(/^is-r[0-9a-f]{10}-production-checkout$/);
        // Like every real call with something warm: the warm last-known-good is listed at 0.
        expect(Object.values(example.weights)).toContain(0);
        expect(Object.values(example.weights).reduce((sum, weight) => sum + weight, 0)).toBe(100);
      }
    }
    expect(fresh).toMatch(/^is-r[0-9a-f]{10}-production-checkout$/);
    expect(id).toMatch(/^r[0-9a-f]{10}$/);
  }, 240_000);

  it('drains a rolled-back canary before retiring it: out of traffic first, infra.retire only after the drain delay, once', async () => {
    harness.ports.health.set('checkout', 'v3', 'fail');
    const deployed = await harness.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v3' }, environment: 'staging' });
    if (deployed.kind !== 'accepted') throw new Error(deployed.message);
    const id = deployed.view.id;
    expect(await drive(harness, async () => (await harness.engine.releases.status(id))?.status === 'rolled_back')).toBe(true);
    await harness.engine.runUntilIdle();

    const canary = `is-${id}-staging-checkout`;
    const calls = trafficCalls('staging').filter((body) => body.weights && canary in body.weights);
    const offTraffic = calls.at(-1)!;
    expect(offTraffic.weights![canary]).toBe(0);
    expect(calls[0]!.weights![canary]).toBeGreaterThan(0);
    const retiresOf = () => bodies.filter((body) => body.type === 'infra.retire' && body.infraSetId === canary);
    // Out of traffic, still running: the receiver has not been told to retire it.
    expect(retiresOf()).toEqual([]);
    expect((await harness.engine.releases.listInfraSets('checkout', 'staging')).find((set) => set.id === canary)).toMatchObject({ state: 'draining', weight: 0 });

    expect(await drive(harness, () => retiresOf().length > 0)).toBe(true);
    await harness.engine.runUntilIdle();
    const [retire, ...again] = retiresOf();
    expect(again).toEqual([]);
    // checkout has no drainDelay of its own: the default 30 s, counted from the move that took it out.
    expect(retire!.receivedAt - offTraffic.receivedAt).toBeGreaterThanOrEqual(30_000);
    expect(bodies.filter((body) => body.type === 'traffic.set_weights' && body.receivedAt > offTraffic.receivedAt && (body.weights?.[canary] ?? 0) > 0)).toEqual([]);
    expect((await harness.engine.releases.listInfraSets('checkout', 'staging')).find((set) => set.id === canary)).toMatchObject({ state: 'retired' });
  }, 240_000);
});

/** An idempotency key with its ids and counters abstracted: `rel:<release>:<n>`, `retire:<set>`. */
function keyShape(key: string): string {
  return key
    .replace(/is-[a-z0-9-]+/g, '<set>')
    .replace(/\br[0-9a-f]{10}\b/g, '<release>')
    .replace(/\b\d+\b/g, '<n>');
}

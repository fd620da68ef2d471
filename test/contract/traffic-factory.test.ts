import { describe, expect, it } from 'vitest';
import { CommandInfra } from '../../src/adapters/infra/command-infra.js';
import { createInfra } from '../../src/adapters/infra/create-infra.js';
import { WebhookInfra } from '../../src/adapters/infra/webhook-infra.js';
import { CommandTraffic } from '../../src/adapters/traffic/command-traffic.js';
import { AdapterConfigError, createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { NginxTraffic } from '../../src/adapters/traffic/nginx-traffic.js';
import { WebhookTraffic } from '../../src/adapters/traffic/webhook-traffic.js';
import { infraProviderSchema, trafficRouterSchema } from '../../src/config/delivery-schema.js';
import type { Infra } from '../../src/ports/infra.js';
import type { Traffic } from '../../src/ports/traffic.js';

const simulatedTraffic: Traffic = { setWeights: async () => ({ kind: 'applied', verified: true }) };
const simulatedInfra: Infra = { provision: async () => ({ kind: 'done' }), retire: async () => ({ kind: 'done' }) };
const secrets = { TRAFFIC_SECRET: 's3cret' };

describe('createTraffic', () => {
  it('builds the router named by kind', () => {
    const webhook = trafficRouterSchema.parse({ kind: 'webhook', url: 'https://router.internal/hook', secretEnv: 'TRAFFIC_SECRET' });
    expect(createTraffic(webhook, { secrets })).toBeInstanceOf(WebhookTraffic);
    expect(createTraffic(trafficRouterSchema.parse({ kind: 'command', argv: ['/usr/local/bin/route'] }), { secrets })).toBeInstanceOf(CommandTraffic);
    expect(createTraffic(trafficRouterSchema.parse({ kind: 'nginx', upstreamFile: '/etc/nginx/upstreams/checkout.conf' }), { secrets })).toBeInstanceOf(NginxTraffic);
    expect(createTraffic(trafficRouterSchema.parse({ kind: 'simulated' }), { secrets, simulated: simulatedTraffic })).toBe(simulatedTraffic);
  });

  it('refuses to start without the webhook secret or the sandbox fleet', () => {
    const webhook = trafficRouterSchema.parse({ kind: 'webhook', url: 'https://router.internal/hook', secretEnv: 'MISSING_SECRET' });
    expect(() => createTraffic(webhook, { secrets })).toThrow(new AdapterConfigError('traffic webhook: environment variable MISSING_SECRET (the webhook secret) is not set'));
    expect(() => createTraffic({ kind: 'simulated' }, { secrets })).toThrow(AdapterConfigError);
  });
});

describe('createInfra', () => {
  it('builds the provider named by kind', () => {
    expect(createInfra(infraProviderSchema.parse({ kind: 'webhook', url: 'https://infra.internal/hook', secretEnv: 'TRAFFIC_SECRET' }), { secrets })).toBeInstanceOf(WebhookInfra);
    expect(createInfra(infraProviderSchema.parse({ kind: 'command', argv: ['/usr/local/bin/provision'] }), { secrets })).toBeInstanceOf(CommandInfra);
    expect(createInfra({ kind: 'simulated' }, { secrets, simulated: simulatedInfra })).toBe(simulatedInfra);
  });
});

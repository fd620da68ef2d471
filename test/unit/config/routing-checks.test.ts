import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatConfigError, parseDeliveryConfig } from '../../../src/config/load-delivery-config.js';

/**
 * What check-config says when a service's router, its infra provider and the environments do not
 * fit together: each problem at its file and line, before anything is deployed.
 */
const EXAMPLE = readFileSync('examples/kubernetes.yaml', 'utf8');

function errorsOf(text: string): string[] {
  const result = parseDeliveryConfig(text, 'kubernetes.yaml');
  return result.ok ? [] : result.errors.map(formatConfigError);
}

function lineOf(text: string, marker: string): number {
  const index = text.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not in the fixture`);
  return text.slice(0, index).split('\n').length;
}

describe('check-config across router, provider and environments', () => {
  it('accepts the Kubernetes example as shipped', () => {
    expect(errorsOf(EXAMPLE)).toEqual([]);
  });

  it.each([
    {
      what: 'a namespace map that leaves out an environment',
      from: 'namespace: { staging: payments-staging, production: payments }\n      destination',
      to: 'namespace: { staging: payments-staging }\n      destination',
      marker: 'namespace: { staging: payments-staging }\n      destination',
      expected: "services.payments.traffic.namespace: no namespace for 'production': name one for every environment (or one for all)",
    },
    {
      what: 'a namespace map naming an environment that does not exist',
      from: 'namespace: { staging: payments-staging, production: payments }\n      deployment',
      to: 'namespace: { staging: payments-staging, production: payments, prod: payments }\n      deployment',
      marker: 'namespace: { staging: payments-staging, production: payments, prod',
      expected: "services.payments.infra.namespace.prod: unknown environment 'prod' (known environments: staging, production)",
    },
    {
      what: 'listener rules that leave out an environment',
      from: '        staging: arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop-staging/50dc6c495c0c9188/f2f7dc8efc522ab2/1a2b3c4d5e6f7a8b\n',
      to: '',
      marker: '      ruleArn:',
      expected: "services.web.traffic.ruleArn: no listener rule for 'staging'",
    },
    {
      what: 'a Deployment template whose image has no {version}',
      from: 'image: "ghcr.io/acme/payments:{version}"',
      to: 'image: "ghcr.io/acme/payments:latest"',
      marker: 'image: "ghcr.io/acme/payments:latest"',
      expected: 'services.payments.infra.deployment.spec.template.spec.containers.0.image: no container image uses {version}: every infra-set of payments would run the same image',
    },
    {
      what: 'an HTTPRoute in another namespace than the Services it names',
      from: '      namespace: "shop-{environment}"\n      port: 80',
      to: '      namespace: "gateways"\n      port: 80',
      marker: '      namespace: "gateways"',
      expected: "services.checkout.traffic.namespace: in staging, production the HTTPRoute is in namespace 'gateways' but infra-sets are created in 'shop-staging'",
    },
    {
      what: 'a route port the infra-sets do not listen on',
      from: '      port: 80                 # the port of each infra-set',
      to: '      port: 8080               # the port of each infra-set',
      marker: '      port: 8080',
      expected: "services.checkout.traffic.port: the route sends traffic to port 8080, but each infra-set's Service listens on 80 (infra.service.ports)",
    },
  ])('refuses $what at its line', ({ from, to, marker, expected }) => {
    expect(EXAMPLE.includes(from)).toBe(true);
    const text = EXAMPLE.replace(from, to);
    const errors = errorsOf(text);
    const found = errors.find((error) => error.includes(expected));
    expect(found, `errors were:\n${errors.join('\n')}`).toBeDefined();
    expect(found).toMatch(new RegExp(`^kubernetes\\.yaml:${lineOf(text, marker)}:\\d+  `));
  });
});

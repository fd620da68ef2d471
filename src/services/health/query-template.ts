/** Which side of the comparison a query is for. */
export type QueryRole = 'canary' | 'baseline';

export interface QueryScope {
  service: string;
  environment: string;
  infraSet: string;
  version: string;
  role: QueryRole;
}

const PLACEHOLDER = /\{(service|environment|infraSet|version|role)\}/g;

/**
 * Fills {service} {environment} {infraSet} {version} {role} into a check's query. Other braces are
 * left alone: Datadog scopes and PromQL label matchers use them too (`sum:hits{service:{service}}`).
 */
export function renderQuery(template: string, scope: QueryScope): string {
  return template.replace(PLACEHOLDER, (_match, key: keyof QueryScope) => scope[key]);
}

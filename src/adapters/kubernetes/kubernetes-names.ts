import { createHash } from 'node:crypto';

/** How infra-sets and environments become Kubernetes names (no client needed: the factories and the plan use these). */

/**
 * The object name (Deployment and Service) of an infra-set: a DNS-1035 label of at most 63
 * characters. Ids that do not fit are shortened with a hash so two sets never share a name.
 */
export function kubernetesNameFor(infraSetId: string): string {
  let name = infraSetId.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '');
  if (name === '') name = 'set';
  if (name === infraSetId && name.length <= 63) return name;
  const hash = createHash('sha256').update(infraSetId).digest('hex').slice(0, 8);
  return `${name.slice(0, 63 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** A label value (at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends). */
export function labelValueFor(text: string): string {
  const value = text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return value;
}

export { namespaceFor } from '../../config/per-environment.js';

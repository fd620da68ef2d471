import { createHash } from 'node:crypto';

/**
 * The target group name of an infra-set: at most 32 characters of letters, digits and dashes (AWS's
 * limit), shortened with a hash when the id does not fit, so the platform can create it by the same rule.
 */
export function targetGroupNameFor(infraSetId: string): string {
  const cleaned = infraSetId.replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  if (cleaned === infraSetId && cleaned.length <= 32 && !cleaned.startsWith('internal-')) return cleaned;
  const hash = createHash('sha256').update(infraSetId).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, 23).replace(/-+$/, '')}-${hash}`;
}

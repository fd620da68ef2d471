/** `{environment}` in a namespace template, or the environment's entry in a map (null when the map has none). */
export function namespaceFor(namespace: string | Readonly<Record<string, string>>, environment: string): string | null {
  if (typeof namespace === 'string') return namespace.replaceAll('{environment}', environment);
  return namespace[environment] ?? null;
}

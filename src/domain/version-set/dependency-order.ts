/**
 * Orders services so that providers come before their consumers (Kahn's algorithm, ties broken by
 * name so the order is stable). A cycle is a value naming the services on it, not an exception.
 */
export type DependencyOrder = { ok: true; order: string[] } | { ok: false; cycle: string[] };

/** `dependsOn[service]` lists the services it depends on; dependencies outside `services` are ignored. */
export function dependencyOrder(services: readonly string[], dependsOn: Readonly<Record<string, readonly string[]>>): DependencyOrder {
  const included = new Set(services);
  const remainingProviders = new Map<string, Set<string>>();
  for (const service of included) {
    remainingProviders.set(service, new Set((dependsOn[service] ?? []).filter((provider) => included.has(provider) && provider !== service)));
  }
  const order: string[] = [];
  while (remainingProviders.size > 0) {
    const ready = [...remainingProviders].filter(([, providers]) => providers.size === 0).map(([service]) => service).sort();
    if (ready.length === 0) return { ok: false, cycle: findCycle(remainingProviders) };
    for (const service of ready) {
      order.push(service);
      remainingProviders.delete(service);
      for (const providers of remainingProviders.values()) providers.delete(service);
    }
  }
  return { ok: true, order };
}

/** Walks provider edges from any remaining service until one repeats: that loop is the cycle. */
function findCycle(remainingProviders: Map<string, Set<string>>): string[] {
  const start = [...remainingProviders.keys()].sort()[0]!;
  const path: string[] = [];
  let current = start;
  while (!path.includes(current)) {
    path.push(current);
    current = [...remainingProviders.get(current)!].sort()[0]!;
  }
  return [...path.slice(path.indexOf(current)), current];
}

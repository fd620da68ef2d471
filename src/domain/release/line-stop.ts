/**
 * Stopping the line: one switch that freezes every environment, pauses every release and holds
 * every merge queue at once. It is stored as an ad-hoc freeze of this pseudo-environment, so every
 * gate, the merge queue's freeze check and the freeze list already see it; `/unfreeze <env>`
 * cannot lift it by accident, only `/unfreeze all` can.
 */
export const LINE_STOP_ENVIRONMENT = '*';

export function lineStopNotice(by: string, reason: string): string {
  return `:octagonal_sign: <@${by}> stopped the line: ${reason}. Every release is paused, every environment frozen and every merge queue holds until \`/unfreeze all\`.`;
}

export function lineRestartNotice(by: string, resumed: number): string {
  return `:large_green_circle: <@${by}> restarted the line: environments unfrozen, merge queues free${resumed > 0 ? `, ${resumed} release${resumed === 1 ? '' : 's'} resumed` : ''}.`;
}

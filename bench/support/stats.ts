/** Small statistics helpers for benchmark figures. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function ms(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value.toFixed(digits)} ms`;
}

export function seconds(valueMs: number, digits = 2): string {
  if (!Number.isFinite(valueMs)) return 'n/a';
  return `${(valueMs / 1000).toFixed(digits)} s`;
}

export function verdict(met: boolean): string {
  return met ? '**met**' : '**MISSED**';
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

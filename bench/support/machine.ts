import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { availableParallelism } from 'node:os';

/** The machine a run happened on, as BENCHMARKS.md states it next to every figure. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string | null;
}

export function machineInfo(postgresVersion: string | null = null): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux: os.cpus() is the best we have.
  }
  return { nproc: availableParallelism(), cpuModel, memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10, node: process.version, postgres: postgresVersion };
}

export function describeMachine(info: MachineInfo): string {
  return `nproc ${info.nproc} · ${info.cpuModel} · ${info.memoryGb} GB · Node ${info.node}${info.postgres ? ` · ${info.postgres}` : ''}`;
}

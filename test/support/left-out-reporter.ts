import { readFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { prerequisites, type Prerequisite } from './prerequisites.js';

/**
 * Closes a run with the suites it left out for want of a prerequisite (no Postgres, no nginx, no
 * chromium) and how to include them, so a green local run never hides what it did not test. Only
 * prerequisites of the files this run selected are named.
 */
export default class LeftOutReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const ran = testModules.map((module) => ({ id: module.relativeModuleId, source: sourceOf(module.moduleId) }));
    const relevant: Record<string, () => boolean> = {
      Postgres: () => ran.some((module) => /testDatabaseKinds|postgresKind|TEST_DATABASE_URL/.test(module.source)),
      nginx: () => ran.some((module) => module.id.endsWith('traffic-nginx.test.ts')),
      chromium: () => selectsBrowserSuites(process.argv),
    };
    const leftOut = prerequisites().filter((prerequisite) => prerequisite.missing !== null && (relevant[prerequisite.name]?.() ?? true));
    if (leftOut.length > 0) process.stdout.write(`\n${render(leftOut)}\n`);
    else if (fileFilters(process.argv).length === 0) process.stdout.write('\n Left out: none\n');
  }
}

export function render(leftOut: Prerequisite[]): string {
  const lines = [` Left out (${leftOut.length}; CI=true fails instead):`];
  for (const prerequisite of leftOut) {
    lines.push(`   no ${prerequisite.name}: ${prerequisite.missing}`, `     left out: ${prerequisite.leavesOut}`, `     to include: ${prerequisite.fix}`);
  }
  return lines.join('\n');
}

function sourceOf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A run with no file filters selects every suite; otherwise only a filter naming test/browser does. */
function selectsBrowserSuites(argv: readonly string[]): boolean {
  const filters = fileFilters(argv);
  return filters.length === 0 || filters.some((filter) => 'test/browser/'.includes(filter) || filter.includes('test/browser') || filter.includes('browser'));
}

/** The file filters on vitest's command line (none for plain `npm test`). */
function fileFilters(argv: readonly string[]): string[] {
  const run = argv.findIndex((arg) => arg === 'run' || arg.endsWith('vitest.mjs') || arg.endsWith('/vitest'));
  return argv.slice(run + 1).filter((arg) => arg !== 'run' && !arg.startsWith('-'));
}

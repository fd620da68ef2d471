#!/usr/bin/env node
// The operator CLI. In a checkout it runs the TypeScript sources through tsx (a dev dependency);
// in the container, which ships only dist/ and production dependencies, the compiled CLI.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(sources) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(sources.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('durable-delivery: neither the sources with tsx (npm install) nor dist/ (npm run build) are here\n');
  process.exit(1);
}

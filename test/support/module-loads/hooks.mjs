import { appendFileSync } from 'node:fs';

let logPath;

export function initialize(data) {
  logPath = data?.logPath;
}

export async function load(url, context, nextLoad) {
  if (logPath && url.startsWith('file:')) appendFileSync(logPath, `${url}\n`);
  return nextLoad(url, context);
}

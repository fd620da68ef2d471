// `npm start`: the sources compiled by esbuild, file by file as tsc lays out dist/ (~0.1 s, no type
// check: that is `npm run typecheck`), then run in this process. Running them through tsx instead
// cost about 0.9 s more to the first /readyz, every module of the app and of node_modules going
// through its loader hooks.
//
// The build goes to .start-<pid>/ beside dist/, where the sources' relative URLs to migrations/ and
// examples/ hold, one directory per process so that two starts from one checkout (the test suite's
// and a developer's sandbox) never rewrite modules the other still loads. It is removed when the
// process ends; one left by a process that was killed is removed by the next start.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

for (const entry of readdirSync(root)) {
  const owner = /^\.start-(\d+)$/.exec(entry);
  if (owner && !isRunning(Number(owner[1]))) rmSync(join(root, entry), { recursive: true, force: true });
}

const outdir = join(root, `.start-${process.pid}`);
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
await build({
  absWorkingDir: root,
  entryPoints: ['src/**/*.ts'],
  outbase: 'src',
  outdir,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
cpSync(join(root, 'src/sandbox/console'), join(outdir, 'sandbox/console'), { recursive: true });
// Stack traces name the TypeScript sources.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(outdir, 'main.js')).href);

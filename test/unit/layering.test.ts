import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of the house, read from the source: the domain does no I/O, services speak to
 * store ports and never to the store, adapters never call services, ports depend on nothing but
 * the domain and the config types.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports, statically or with `import()`: a path under src/ or a package name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => (specifier.startsWith('.') ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '') : specifier));
}

/** Where `layer` (a folder under src/) imports something the rule forbids: "file → import" lines. */
function violations(layer: string, forbidden: (imported: string) => boolean): string[] {
  return sourceFiles(join(SRC, layer)).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((imported) => `${relative(SRC, file)} → ${imported}`),
  );
}

const under = (...folders: string[]) => (imported: string) => folders.some((folder) => imported === folder || imported.startsWith(`${folder}/`));
const DATABASE_PACKAGES = ['drizzle-orm', 'pg', '@electric-sql/pglite'];
const isPackage = (...names: string[]) => (imported: string) => names.some((name) => imported === name || imported.startsWith(`${name}/`));

describe('the import rules', () => {
  it('finds imports the way the rules read them (a file known to import the domain and a package)', () => {
    const imports = importsOf(join(SRC, 'services/release-service.ts'));
    expect(imports).toContain('domain/release/decide');
    expect(imports).toContain('node:crypto');
  });

  it('services import no store module and no database driver', () => {
    expect(violations('services', (imported) => under('store')(imported) || isPackage(...DATABASE_PACKAGES)(imported))).toEqual([]);
  });

  it('adapters import no service', () => {
    expect(violations('adapters', under('services'))).toEqual([]);
  });

  it('ports import only the domain, the config types and other ports', () => {
    expect(violations('ports', (imported) => under('store', 'services', 'adapters', 'app', 'sandbox')(imported) || isPackage(...DATABASE_PACKAGES)(imported))).toEqual([]);
  });

  it('the domain imports no I/O: no store, adapter, service, app, logger, SDK or driver', () => {
    const io = (imported: string) =>
      under('store', 'adapters', 'services', 'app', 'sandbox')(imported) ||
      isPackage(...DATABASE_PACKAGES, 'pino', '@slack', '@octokit', 'node:fs', 'node:http', 'node:https', 'node:net', 'node:child_process')(imported);
    expect(violations('domain', io)).toEqual([]);
  });

  it('a service importing the store would be caught', () => {
    const file = join(SRC, 'services/release-service.ts');
    const imported = relative(SRC, resolve(dirname(file), '../store/db.js')).replace(/\.js$/, '');
    expect(under('store')(imported)).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding midl's own package.json: the checkout when run from source, the installed
 * package when run from its compiled `dist/`. Found by walking up from this module rather than by a
 * fixed relative path, because the compiled module sits one directory deeper than its source.
 */
export const MIDL_ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

/** midl's own package.json: one source of truth for its version and the versions it is built with. */
export const MIDL_PACKAGE: {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
} = JSON.parse(readFileSync(join(MIDL_ROOT, 'package.json'), 'utf8')) as typeof MIDL_PACKAGE;

/** The toolchain's version. */
export const MIDL_VERSION: string = MIDL_PACKAGE.version;

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'midl') return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (dirname(dir) === dir) throw new Error(`midl: no package.json named "midl" above ${from}`);
  }
}

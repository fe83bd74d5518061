import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding midl's own package.json: the checkout when run from source, the installed
 * package when run from its compiled `dist/`. Found by walking up from this module rather than by a
 * fixed relative path, because the compiled module sits one directory deeper than its source.
 */
export const MIDL_ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

const manifest = JSON.parse(readFileSync(join(MIDL_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/** The toolchain's version, read from package.json so there is one source of truth. */
export const MIDL_VERSION: string = manifest.version;

/**
 * The running midl's own package.json: where midl is (an installed copy or a checkout, as `midl init`
 * needs to say how a new project depends on it) and the versions it is built with.
 */
export const MIDL_PACKAGE = {
  /** The directory holding midl's package.json. */
  root: MIDL_ROOT,
  version: manifest.version,
  dependencies: manifest.dependencies ?? {},
  devDependencies: manifest.devDependencies ?? {},
} as const;

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

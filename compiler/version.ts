import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
const manifestPath = require.resolve('../package.json');
const manifest = require(manifestPath) as { version: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/** The toolchain's version, read from package.json so there is one source of truth. */
export const MIDL_VERSION: string = manifest.version;

/**
 * The running midl's own package.json: where midl is (an installed copy or a checkout, as `midl init`
 * needs to say how a new project depends on it) and the versions it is built with.
 */
export const MIDL_PACKAGE = {
  /** The directory holding midl's package.json. */
  root: dirname(manifestPath),
  version: manifest.version,
  dependencies: manifest.dependencies ?? {},
  devDependencies: manifest.devDependencies ?? {},
} as const;

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The toolchain's version, read from package.json so there is one source of truth. */
export const MIDL_VERSION: string = (require('../package.json') as { version: string }).version;

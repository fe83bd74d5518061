#!/usr/bin/env node
// In a checkout the CLI runs from its TypeScript source through tsx's loader (a development dependency),
// so an edit takes effect without a build; an installed package has no sources, only the compiled dist/.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
/** @type {unknown} */
let loaded;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  loaded = await import(source.href);
} else {
  loaded = await import('../dist/cli/main.js');
}
const cli = /** @type {{ main(argv: readonly string[]): Promise<number> }} */ (loaded);
process.exitCode = await cli.main(process.argv);

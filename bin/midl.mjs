#!/usr/bin/env node
// In a checkout the CLI runs from its TypeScript source through tsx's loader (a development dependency),
// so an edit takes effect without a build; an installed package has no sources, only the compiled dist/.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

/** @type {{ main(argv: readonly string[]): Promise<number> }} */
let cli;
const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  /** @type {unknown} */
  const loaded = await import(source.href);
  cli = /** @type {typeof cli} */ (loaded);
} else {
  cli = /** @type {typeof cli} */ (await import('../dist/cli/main.js'));
}
process.exitCode = await cli.main(process.argv);

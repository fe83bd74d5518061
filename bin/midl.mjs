#!/usr/bin/env node
// In a checkout the CLI runs from its TypeScript source through tsx's loader (a development dependency),
// so an edit takes effect without a build; an installed package has no sources, only the compiled dist/.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

// A reader that went away (`midl gpu info | head -3`) ends the output, not the process with a stack
// trace: the rest of what was to be printed has nobody to read it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (/** @type {NodeJS.ErrnoException} */ err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

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

#!/usr/bin/env node
// The CLI from the compiled dist/ (npm run build) even in a checkout, where bin/midl.mjs runs the
// TypeScript sources through tsx: in the emulated CPU of the ALSA guest (tests/alsa) tsx's compiling
// costs most of a minute per start, the compiled CLI about a third of that. Tests pick it with
// MIDL_TEST_CLI=built (vitest.alsa.config.ts); .ci/run builds dist/ before the guest runs.
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const built = new URL('../../dist/cli/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(`error: ${fileURLToPath(built)} is missing: run npm run build first\n`);
  process.exit(2);
}
/** @type {unknown} */
const loaded = await import(built.href);
const cli = /** @type {{ main(argv: readonly string[]): Promise<number> }} */ (loaded);
process.exitCode = await cli.main(process.argv);

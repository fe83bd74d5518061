import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

/**
 * Chevrotain's package entry is ~100 separate modules (0.7 s to load, several times that under tsx's
 * loader hooks); the package also ships the same library as one ES module, which loads in ~30 ms. The
 * CLI starts on every `midl` command, so the values come from that single file and the types from the
 * package as usual.
 */
const entry = createRequire(import.meta.url).resolve('chevrotain');
const bundled = join(dirname(entry), '..', 'chevrotain.mjs');
const chevrotain = (await import(pathToFileURL(bundled).href)) as typeof Chevrotain;

export const { createToken, Lexer, CstParser, EOF } = chevrotain;

import { createHash } from 'node:crypto';
import { formatFile, parseFile, SourceFile } from '../../compiler/index.ts';

/** How `contentHash` is computed, stored beside it so that a later rule is never compared with this one. */
export const CONTENT_HASH_RULE = 'sha256:midl-fmt/1';

/**
 * A package's sources in canonical layout (`midl fmt`), by path relative to the project root. The
 * formatter's output is a function of the tokens and comments alone, so two texts with the same
 * canonical form compile to the same IR and the same doc comments, hence the same generated files: an
 * edit of indentation or spacing is not a change of the package, while any change of a token, a comment
 * or a doc comment is.
 */
export function canonicalSources(texts: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of [...texts.keys()].sort()) {
    const parsed = parseFile(new SourceFile(path, texts.get(path)!));
    // Only a program that compiled is published, so its files parse.
    out[path] = formatFile(parsed);
  }
  return out;
}

/**
 * SHA-256 (hex) of a package's canonical sources, taken in the order of their text (not their names):
 * moving or renaming a file keeps the package the same; each text is length-prefixed so that no two
 * different sets of texts hash alike by concatenation.
 */
export function packageContentHash(canonical: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256').update(CONTENT_HASH_RULE);
  const texts = Object.values(canonical).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const text of texts) hash.update(`\0${Buffer.byteLength(text)}\0`).update(text);
  return hash.digest('hex');
}

/** SHA-256 (hex) of a file set: every path and content, in path order, each length-prefixed. */
export function fileSetHash(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    const content = files[path]!;
    hash.update(`${Buffer.byteLength(path)}\0${path}\0${Buffer.byteLength(content)}\0`).update(content);
  }
  return hash.digest('hex');
}

/** SHA-256 (hex) of one text. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

import type { JsonValue } from '../../runtime/index.ts';

/** The most differences named, and the longest line quoted, in a drift report. */
const MAX_DIFFERENCES = 10;
const MAX_QUOTE = 120;

const quote = (line: string) => JSON.stringify(line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE)}…` : line);

/**
 * What differs between a package's stored sources and its local ones, one line per file: added,
 * removed, or the first line that differs with both texts quoted. At most MAX_DIFFERENCES lines.
 */
export function sourceDifferences(stored: { readonly [path: string]: JsonValue }, local: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  const paths = [...new Set([...Object.keys(stored), ...Object.keys(local)])].sort();
  for (const path of paths) {
    const before = stored[path];
    const after = local[path];
    if (after === undefined) out.push(`${path}: only in the store`);
    else if (before === undefined) out.push(`${path}: only here`);
    else if (typeof before !== 'string') out.push(`${path}: the stored source is not text`);
    else if (before !== after) out.push(`${path}: ${firstDifference(before, after)}`);
  }
  if (out.length === 0) out.push('the sources are the same, but were hashed by another rule (midl version)');
  return out.length > MAX_DIFFERENCES ? [...out.slice(0, MAX_DIFFERENCES), `… and ${out.length - MAX_DIFFERENCES} more files`] : out;
}

function firstDifference(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i])
      return `line ${i + 1}: stored ${a[i] === undefined ? '(end of file)' : quote(a[i]!)}, here ${b[i] === undefined ? '(end of file)' : quote(b[i]!)}`;
  return 'differs';
}

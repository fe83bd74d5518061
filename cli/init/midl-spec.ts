import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

/** How a new project depends on midl (`dependencies.midl`), and why that spec. */
export interface MidlSpec {
  readonly spec: string;
  readonly reason: string;
}

/**
 * The dependency spec that installs the midl that is running now, so a project made by `npx
 * ./midl-0.1.0.tgz init` installs that same tarball:
 *
 * - midl installed under some `node_modules` (npm exec's cache, a project's dependencies) from a
 *   `file:` spec (a tarball or directory): that spec, made absolute — npm records it relative to the
 *   installing directory, in `node_modules/.package-lock.json` (`packages["node_modules/midl"].resolved`)
 *   and in that directory's package.json;
 * - midl running from a directory outside any `node_modules` (a checkout, or a `file:` directory
 *   dependency, which npm links): `file:` and that directory;
 * - otherwise (from a registry): `^` and midl's version.
 *
 * `packageRoot` is the directory of the running midl's package.json.
 */
export function detectMidlSpec(packageRoot: string, version: string): MidlSpec {
  const root = realpathSync(packageRoot);
  const parts = root.split(sep);
  const first = parts.indexOf('node_modules');
  if (first < 0) return { spec: `file:${root}`, reason: `midl runs from the directory ${root}, not from an installed package` };
  // The directory that installed midl: the one above the outermost node_modules, where npm keeps its lock.
  const installer = parts.slice(0, first).join(sep) || sep;
  const key = parts.slice(first).join('/');
  const recorded = lockedSpec(installer, key) ?? manifestSpec(installer, key);
  if (recorded?.startsWith('file:')) {
    const target = recorded.slice('file:'.length);
    const absolute = isAbsolute(target) ? target : resolve(installer, target);
    return { spec: `file:${absolute}`, reason: `midl was installed from ${absolute}, as ${installer} records it` };
  }
  return { spec: `^${version}`, reason: `midl ${version} is installed in ${root} and ${installer} records no file: spec for it, so it came from the registry` };
}

/** `resolved` of `key` in the lock npm keeps in node_modules (npm 7 and later), or the project's own lock. */
function lockedSpec(installer: string, key: string): string | undefined {
  for (const lock of [join(installer, 'node_modules', '.package-lock.json'), join(installer, 'package-lock.json')]) {
    const entry = readJson(lock)?.['packages'];
    if (!isRecord(entry)) continue;
    const pkg = entry[key];
    if (isRecord(pkg) && typeof pkg['resolved'] === 'string') return pkg['resolved'];
  }
  return undefined;
}

/** The spec the installing directory's package.json gives a top-level midl (`node_modules/midl`). */
function manifestSpec(installer: string, key: string): string | undefined {
  if (key !== 'node_modules/midl') return undefined;
  const manifest = readJson(join(installer, 'package.json'));
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = manifest?.[field];
    if (isRecord(deps) && typeof deps['midl'] === 'string') return deps['midl'];
  }
  return undefined;
}

/**
 * A JSON object read from `path`, or undefined when there is none or it is not a JSON object: the next
 * source is asked, and the spec printed with its reason can be overridden with --midl-spec.
 */
function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

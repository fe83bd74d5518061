import type { EmittedFile } from '../../compiler/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { checkStoreId, StoreError, type StoreBackend } from '../../runtime/store/index.ts';
import { textHash } from './content-hash.ts';
import { Collections, generatedId, REGISTRY_CORPUS, schemaId } from './documents.ts';
import { RegistryError } from './errors.ts';
import { listAll } from './list-all.ts';

/** A published program's generated files, read back and checked against its manifest. */
export interface PulledProgram {
  readonly program: string;
  readonly files: readonly EmittedFile[];
}

type JsonObject = { readonly [key: string]: JsonValue };
const isObject = (v: JsonValue | undefined): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The longest stored path accepted, in characters. */
const MAX_PATH = 1024;

/**
 * Refuses a stored file name that could write outside the output directory or is not a plain relative
 * POSIX path: empty, absolute, a drive or UNC prefix, a backslash, a control character, an empty, `.`
 * or `..` segment.
 */
export function checkPulledPath(path: string, program: string): void {
  const refuse = (why: string) => {
    throw new RegistryError('unsafe-path', `program ${program}: stored file name ${JSON.stringify(path.slice(0, 200))} ${why}; nothing was written`);
  };
  if (path.length === 0 || path.length > MAX_PATH) refuse(`is not 1–${MAX_PATH} characters`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) refuse('is absolute');
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(path)) refuse('holds a backslash or a control character');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) refuse('has an empty, . or .. segment');
}

/**
 * Which programs `names` select: a program by name, or `package@version` for every program whose
 * published manifest compiles that package at that version (whose schema must be published). With no
 * names, every program in the store.
 */
export async function selectPrograms(store: StoreBackend, names: readonly string[]): Promise<string[]> {
  const all = await listAll(store, REGISTRY_CORPUS, Collections.programs);
  if (names.length === 0) {
    if (all.length === 0) throw new RegistryError('not-found', `${store.description} holds no published program`, "run 'midl publish' first");
    return all;
  }
  const chosen = new Set<string>();
  for (const name of names) {
    const at = name.lastIndexOf('@');
    if (at <= 0) {
      if (!all.includes(name))
        throw new RegistryError('not-found', `${store.description} has no published program ${JSON.stringify(name)} (it has: ${all.join(', ') || 'none'})`);
      chosen.add(name);
      continue;
    }
    const [pkg, version] = [name.slice(0, at), name.slice(at + 1)];
    if (!(await store.get(REGISTRY_CORPUS, Collections.schemas, schemaId(pkg, version))))
      throw new RegistryError('not-found', `${store.description} has no published schema ${name}`);
    const holders: string[] = [];
    for (const program of all) {
      const manifest = await store.get(REGISTRY_CORPUS, Collections.programs, program);
      const packages = isObject(manifest?.value) ? manifest.value['packages'] : undefined;
      if (isObject(packages) && packages[pkg] === version) holders.push(program);
    }
    if (holders.length === 0)
      throw new RegistryError(
        'not-found',
        `${name} is published, but no published program compiles it now: its generated files were replaced by a later version`,
      );
    for (const h of holders) chosen.add(h);
  }
  return [...chosen];
}

/**
 * Reads a program's manifest and every file it names, checking each file's SHA-256 against the
 * manifest and each name with `checkPulledPath`: what comes back is exactly what `midl gen` wrote when
 * the program was published, or a `RegistryError` saying what in the store is wrong.
 */
export async function pullProgram(store: StoreBackend, program: string): Promise<PulledProgram> {
  const manifest = await store.get(REGISTRY_CORPUS, Collections.programs, program);
  if (!manifest) throw new RegistryError('not-found', `${store.description} has no published program ${JSON.stringify(program)}`);
  const where = `${store.description}: ${REGISTRY_CORPUS}/${Collections.programs}/${program}`;
  const listed = isObject(manifest.value) ? manifest.value['files'] : undefined;
  if (!isObject(listed)) throw new RegistryError('corrupt', `${where}: no "files" object`);
  const files: EmittedFile[] = [];
  for (const [path, hash] of Object.entries(listed)) {
    checkPulledPath(path, program);
    try {
      checkStoreId(generatedId(program, path));
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      throw new RegistryError('corrupt', `${where}: file ${JSON.stringify(path.slice(0, 200))} cannot be a stored file: ${err.message}`);
    }
    if (typeof hash !== 'string') throw new RegistryError('corrupt', `${where}: file ${JSON.stringify(path)} has no hash string`);
    const doc = await store.get(REGISTRY_CORPUS, Collections.generated, generatedId(program, path));
    if (!doc) throw new RegistryError('missing', `${where} names ${path}, which the store does not hold`, "publish the program again ('midl publish')");
    const content = isObject(doc.value) ? doc.value['content'] : undefined;
    if (typeof content !== 'string') throw new RegistryError('corrupt', `${store.description}: generated file ${program}/${path} has no "content" string`);
    if (textHash(content) !== hash)
      throw new RegistryError(
        'corrupt',
        `${store.description}: generated file ${program}/${path} does not match the hash its manifest gives (changed after publishing?)`,
      );
    files.push({ path, content });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths = new Set(files.map((f) => f.path));
  for (const { path } of files)
    for (let slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1))
      if (paths.has(path.slice(0, slash)))
        throw new RegistryError('unsafe-path', `program ${program}: ${path.slice(0, slash)} is both a file and the directory of ${path}; nothing was written`);
  return { program, files };
}

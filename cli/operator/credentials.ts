/**
 * The operator's user-authentication flags: `midl peer --users FILE` (a JSON object, user name →
 * password) and `--user NAME --password-file FILE` of the client commands. Passwords come from files so
 * that they show in no process list or shell history; no message here quotes a file's content.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { catalog } from '../../compiler/index.ts';
import { DiskStore, type StoreBackend } from '../../runtime/store/index.ts';
import { UsageError } from '../exit.ts';

/** `--user` / `--password-file` of the client commands (options.ts `addClientOptions`). */
export interface UserFlags {
  readonly user?: string;
  readonly passwordFile?: string;
}

/** A user name is sent NUL-padded, so one with a NUL could never be matched; an empty one names nobody. */
function checkUserName(name: string, where: string): void {
  if (name.length === 0 || name.includes('\0')) throw new UsageError(`${where}: a user name is non-empty and has no NUL character`);
}

/**
 * The text of a file of secrets, refused (MIDL1906) when users other than its owner may read it, as ssh
 * refuses such a key: a password in a file anyone on the machine can read is no secret.
 */
export function readSecretFile(path: string, flag: string): string {
  let fd: number | undefined;
  try {
    // Opened once, then checked and read through the same descriptor: no swap of the file in between.
    fd = openSync(path, 'r');
    refuseExposed(fstatSync(fd).mode, path, flag);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    throw unreadable(err, path, flag);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Throws MIDL1906 when `mode` lets users other than the file's owner read it (POSIX only). */
function refuseExposed(mode: number, path: string, flag: string): void {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return;
  const who = (mode & 0o007) !== 0 ? 'every user of this machine' : 'its group';
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  throw new UsageError(`${flag}: '${path}' holds secrets but ${who} may read it (mode ${octal})\nhelp: chmod 600 ${path}`, catalog.exposedSecretFile.code);
}

/** A failure to read a file of secrets as a UsageError naming the file and the error code, never its content. */
function unreadable(err: unknown, path: string, flag: string): UsageError {
  if (err instanceof UsageError) return err;
  return new UsageError(`${flag} ${path}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
}

/**
 * The users a `midl peer --users FILE` requires: FILE is one JSON object `{"name": "password", …}` with
 * at least one user. UsageError naming what is wrong (never a password, nor the text around it).
 */
export function readUsersFile(path: string): ReadonlyMap<string, string> {
  const text = readSecretFile(path, '--users');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text near the error, which may be a password: say where, not what.
    throw new UsageError(`--users ${path}: not valid JSON; expected one object {"user name": "password", …}`);
  }
  return usersOf(parsed, `--users ${path}`);
}

/** The corpus and collection of the secrets a store holds for its peers (`--users store:ID`). */
export const SECRETS_CORPUS = 'midl';
export const SECRETS_COLLECTION = 'secrets';

/**
 * `midl peer --users store:ID`: the users of document midl/secrets/ID of the peer's `--store`, the same
 * object as a users file. In a seed directory the document is a file, refused (MIDL1906) unless only its
 * owner may read it; a FountainStore server guards its records with its API key.
 */
export async function readStoredUsers(store: StoreBackend, id: string): Promise<ReadonlyMap<string, string>> {
  const where = `--users store:${id}`;
  let value: unknown;
  try {
    if (store instanceof DiskStore) {
      // The mode of the document's file; the store reads it below, with its own checks.
      const path = store.documentPath(SECRETS_CORPUS, SECRETS_COLLECTION, id);
      try {
        refuseExposed(statSync(path).mode, path, where);
      } catch (err) {
        throw unreadable(err, path, where);
      }
    }
    value = (await store.get(SECRETS_CORPUS, SECRETS_COLLECTION, id))?.value;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // A StoreError names the document, never its content.
    throw new UsageError(`${where}: cannot read it from ${store.description}: ${(err as Error).message}`);
  }
  if (value === undefined) throw new UsageError(`${where}: ${store.description} has no document ${SECRETS_CORPUS}/${SECRETS_COLLECTION}/${id}`);
  return usersOf(value, `${where} (${store.description})`);
}

/** A users object `{"name": "password", …}` with at least one user, checked; UsageError naming `where` (never a password). */
function usersOf(parsed: unknown, where: string): ReadonlyMap<string, string> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${where}: expected one JSON object {"user name": "password", …}`);
  const users = new Map<string, string>();
  for (const [name, password] of Object.entries(parsed)) {
    checkUserName(name, where);
    if (typeof password !== 'string' || password.length === 0)
      throw new UsageError(`${where}: the password of ${JSON.stringify(name)} must be a non-empty string`);
    users.set(name, password);
  }
  if (users.size === 0) throw new UsageError(`${where}: names no user, so nobody could connect`);
  return users;
}

/**
 * The user a client offers: `--user NAME` with `--password-file FILE` (the file's first line, its line
 * ending dropped), or none. UsageError when only one of the two is given or the file is unreadable or empty.
 */
export function readUserFlags(o: UserFlags): { name: string; password: string } | undefined {
  if (o.user === undefined && o.passwordFile === undefined) return undefined;
  if (o.user === undefined) throw new UsageError('--password-file needs --user: the password of which user?');
  if (o.passwordFile === undefined) throw new UsageError(`--user ${o.user} needs --password-file FILE holding the password`);
  checkUserName(o.user, '--user');
  const password = readSecretFile(o.passwordFile, '--password-file').split(/\r?\n/, 1)[0]!;
  if (password.length === 0) throw new UsageError(`--password-file ${o.passwordFile}: its first line is empty`);
  return { name: o.user, password };
}

/** `--secret` / `--secret-file` of the listening and the client commands (options.ts). */
export interface SecretFlags {
  readonly secret?: string;
  readonly secretFile?: string;
}

/**
 * The shared secret the flags give: `--secret-file FILE` (its first line; the file readable by its owner
 * only), or `--secret VALUE`, which every user of the machine sees in the process list, so it is for
 * development and says so on stderr. UsageError for both at once, or an unreadable, exposed or empty file.
 */
export function readSharedSecret(o: SecretFlags): string | undefined {
  if (o.secret !== undefined && o.secretFile !== undefined) throw new UsageError('give --secret or --secret-file, not both');
  if (o.secretFile !== undefined) {
    const secret = readSecretFile(o.secretFile, '--secret-file').split(/\r?\n/, 1)[0]!;
    if (secret.length === 0) throw new UsageError(`--secret-file ${o.secretFile}: its first line is empty`);
    return secret;
  }
  if (o.secret !== undefined)
    process.stderr.write('warning: --secret on the command line shows in the process list and shell history: use --secret-file FILE outside development\n');
  return o.secret;
}

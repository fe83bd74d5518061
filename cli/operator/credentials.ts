/**
 * The operator's user-authentication flags: `midl peer --users FILE` (a JSON object, user name →
 * password) and `--user NAME --password-file FILE` of the client commands. Passwords come from files so
 * that they show in no process list or shell history; no message here quotes a file's content.
 */
import { readFileSync } from 'node:fs';
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

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The users a `midl peer --users FILE` requires: FILE is one JSON object `{"name": "password", …}` with
 * at least one user. UsageError naming what is wrong (never a password, nor the text around it).
 */
export function readUsersFile(path: string): ReadonlyMap<string, string> {
  const text = readText(path, '--users');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text near the error, which may be a password: say where, not what.
    throw new UsageError(`--users ${path}: not valid JSON; expected one object {"user name": "password", …}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--users ${path}: expected one JSON object {"user name": "password", …}`);
  const users = new Map<string, string>();
  for (const [name, password] of Object.entries(parsed)) {
    checkUserName(name, `--users ${path}`);
    if (typeof password !== 'string' || password.length === 0)
      throw new UsageError(`--users ${path}: the password of ${JSON.stringify(name)} must be a non-empty string`);
    users.set(name, password);
  }
  if (users.size === 0) throw new UsageError(`--users ${path}: names no user, so nobody could connect`);
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
  const password = readText(o.passwordFile, '--password-file').split(/\r?\n/, 1)[0]!;
  if (password.length === 0) throw new UsageError(`--password-file ${o.passwordFile}: its first line is empty`);
  return { name: o.user, password };
}

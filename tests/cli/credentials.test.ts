import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readSharedSecret, readStoredUsers, readUserFlags, readUsersFile } from '../../cli/operator/credentials.ts';
import { DiskStore, MemoryStore } from '../../runtime/store/index.ts';
import { UsageError } from '../../cli/exit.ts';

/** `--users FILE` and `--user` / `--password-file` read hostile files: a map or a UsageError, never a password in a message. */
const dir = mkdtempSync(join(tmpdir(), 'midl-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  // Files of secrets are refused unless only their owner may read them.
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

const userName = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\0') && s !== '__proto__');
/** Passwords long and odd enough that finding one in a message means it was quoted. */
const password = fc.stringMatching(/^[A-Za-z0-9]{10,20}$/).map((p) => `pw-${p}`);

describe('readUsersFile', () => {
  it('reads back any object of user name → password', () => {
    fc.assert(
      fc.property(fc.dictionary(userName, password, { minKeys: 1, maxKeys: 5 }), (users) => {
        const read = readUsersFile(file('users.json', JSON.stringify(users)));
        expect(Object.fromEntries(read)).toEqual(users);
      }),
      { numRuns: 100 },
    );
  });

  it('any text: a map or a UsageError, and no error quotes a password of the file', () => {
    fc.assert(
      fc.property(fc.dictionary(userName, password, { minKeys: 1, maxKeys: 3 }), fc.string({ maxLength: 20 }), fc.nat(), (users, junk, at) => {
        const json = JSON.stringify(users);
        const cut = at % (json.length + 1);
        const text = json.slice(0, cut) + junk + json.slice(cut);
        try {
          readUsersFile(file('hostile.json', text));
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          for (const p of Object.values(users)) expect((err as Error).message).not.toContain(p);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('says what is wrong with the file', () => {
    const cases: [string, RegExp][] = [
      ['[]', /expected one JSON object/],
      ['"x"', /expected one JSON object/],
      ['{}', /names no user/],
      ['{"": "p"}', /a user name is non-empty/],
      ['{"a": 1}', /the password of "a" must be a non-empty string/],
      ['{"a": ""}', /the password of "a" must be a non-empty string/],
      ['{"a": "secret-one",}', /not valid JSON/],
    ];
    for (const [text, why] of cases) expect(() => readUsersFile(file('bad.json', text))).toThrow(why);
    expect(() => readUsersFile(join(dir, 'absent.json'))).toThrow(/cannot read it: ENOENT/);
  });
});

describe('readUserFlags', () => {
  it('takes the first line of the password file; both flags or neither', () => {
    expect(readUserFlags({})).toBeUndefined();
    expect(readUserFlags({ user: 'alice', passwordFile: file('a.pw', 'open sesame\r\nsecond line') })).toEqual({ name: 'alice', password: 'open sesame' });
    expect(readUserFlags({ user: 'alice', passwordFile: file('b.pw', 'no newline') })).toEqual({ name: 'alice', password: 'no newline' });
    expect(() => readUserFlags({ user: 'alice' })).toThrow(/needs --password-file/);
    expect(() => readUserFlags({ passwordFile: file('c.pw', 'x') })).toThrow(/needs --user/);
    expect(() => readUserFlags({ user: 'alice', passwordFile: file('d.pw', '\nlater') })).toThrow(/first line is empty/);
    expect(() => readUserFlags({ user: '', passwordFile: file('e.pw', 'x') })).toThrow(/non-empty/);
  });
});

describe('files of secrets', () => {
  it('MIDL1906: a file of secrets that others may read is refused, naming the mode and the fix, never the content', () => {
    for (const [mode, who] of [
      [0o644, 'every user of this machine'],
      [0o640, 'its group'],
    ] as const) {
      const users = join(dir, `open-users-${mode.toString(8)}.json`);
      writeFileSync(users, JSON.stringify({ alice: 'pw-sekrit-12345' }), { mode });
      chmodSync(users, mode); // the umask may have narrowed the mode on creation
      const err = catching(() => readUsersFile(users));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.code).toBe('MIDL1906');
      expect(err.message).toContain(`holds secrets but ${who} may read it (mode 0${mode.toString(8)})`);
      expect(err.message).toContain(`help: chmod 600 ${users}`);
      expect(err.message).not.toContain('pw-sekrit');
      const pw = join(dir, `open-${mode.toString(8)}.pw`);
      writeFileSync(pw, 'pw-sekrit-12345\n');
      chmodSync(pw, mode);
      expect(catching(() => readUserFlags({ user: 'alice', passwordFile: pw })).code).toBe('MIDL1906');
    }
  });

  it('reads a shared secret from --secret-file, refuses it with --secret too or when exposed', () => {
    expect(readSharedSecret({ secretFile: file('s.secret', 'the-secret\nignored\n') })).toBe('the-secret');
    expect(catching(() => readSharedSecret({ secret: 'x', secretFile: file('t.secret', 'y') })).message).toBe('give --secret or --secret-file, not both');
    expect(catching(() => readSharedSecret({ secretFile: file('e.secret', '\n') })).message).toMatch(/its first line is empty/);
    const open = join(dir, 'open.secret');
    writeFileSync(open, 'the-secret');
    chmodSync(open, 0o604);
    expect(catching(() => readSharedSecret({ secretFile: open })).code).toBe('MIDL1906');
  });
});

describe('--users store:ID', () => {
  it('reads the users of midl/secrets/ID; in a seed directory only from a file its owner alone may read', async () => {
    const memory = new MemoryStore();
    await memory.put('midl', 'secrets', 'studio', { alice: 'pw-sekrit-12345' });
    expect(Object.fromEntries(await readStoredUsers(memory, 'studio'))).toEqual({ alice: 'pw-sekrit-12345' });

    const disk = new DiskStore(join(dir, 'store'));
    await disk.put('midl', 'secrets', 'studio', { alice: 'pw-sekrit-12345' });
    const path = join(dir, 'store/midl/secrets/studio.json');
    chmodSync(path, 0o644);
    const exposed = await rejectionOf(readStoredUsers(disk, 'studio'));
    expect(exposed.code).toBe('MIDL1906');
    expect(exposed.message).toContain(`help: chmod 600 ${path}`);
    chmodSync(path, 0o600);
    expect(Object.fromEntries(await readStoredUsers(disk, 'studio'))).toEqual({ alice: 'pw-sekrit-12345' });
  });

  it('a missing or malformed document is a usage error that names it and quotes no password', async () => {
    const memory = new MemoryStore();
    expect((await rejectionOf(readStoredUsers(memory, 'absent'))).message).toBe('--users store:absent: memory has no document midl/secrets/absent');
    await memory.put('midl', 'secrets', 'list', ['pw-sekrit-12345']);
    expect((await rejectionOf(readStoredUsers(memory, 'list'))).message).toBe(
      '--users store:list (memory): expected one JSON object {"user name": "password", …}',
    );
    await memory.put('midl', 'secrets', 'none', {});
    expect((await rejectionOf(readStoredUsers(memory, 'none'))).message).toMatch(/names no user/);
    expect((await rejectionOf(readStoredUsers(memory, '..'))).message).toMatch(/^--users store:\.\.: cannot read it from memory: id "\.\."/);
  });
});

async function rejectionOf(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

function catching(f: () => unknown): UsageError {
  try {
    f();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

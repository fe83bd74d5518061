import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_STORED_MODULE_BYTES, directoryModuleStore, storedModulePath } from '../../../services/gpu/stored-modules.ts';

const dir = mkdtempSync(join(tmpdir(), 'midl-wgsl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stored WGSL modules from a directory', () => {
  it('finds DIR/[CORPUS/][COLLECTION/]ID[@VERSION].wgsl, and undefined where no file is', async () => {
    mkdirSync(join(dir, 'fc-main', 'wgsl-modules'), { recursive: true });
    writeFileSync(join(dir, 'wgsl:add.wgsl'), '// latest, default corpus');
    writeFileSync(join(dir, 'fc-main', 'wgsl-modules', 'matmul-v3@7.wgsl'), '// version 7');
    const store = directoryModuleStore(dir);
    expect(await store({ id: 'wgsl:add' })).toBe('// latest, default corpus');
    expect(await store({ id: 'matmul-v3', corpus: 'fc-main', collection: 'wgsl-modules', version: 7n })).toBe('// version 7');
    expect(await store({ id: 'matmul-v3', corpus: 'fc-main', collection: 'wgsl-modules' })).toBeUndefined();
    expect(await store({ id: 'missing', corpus: 'nowhere' })).toBeUndefined();
  });

  it('a reference that would leave the directory is refused, and an oversized file is an error naming it', async () => {
    expect(() => storedModulePath(dir, { id: '..' })).toThrow(/id "\.\." cannot name a file/);
    expect(() => storedModulePath(dir, { id: 'x', corpus: 'a/b' })).toThrow(/corpus "a\/b" cannot name a file/);
    writeFileSync(join(dir, 'huge.wgsl'), 'x'.repeat(MAX_STORED_MODULE_BYTES + 1));
    await expect(directoryModuleStore(dir)({ id: 'huge' })).rejects.toThrow(/huge\.wgsl: 262145 bytes, more than a WGSL module may have/);
  });
});

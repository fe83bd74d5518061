import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStore } from '../../runtime/store/index.ts';
import { describeStoreContract } from './contract.ts';

describeStoreContract(
  'DiskStore',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'midl-disk-store-'));
    return { store: new DiskStore(join(root, 'store')), dispose: () => rm(root, { recursive: true, force: true }) };
  },
  { fuzzRuns: 30 },
);

import { MemoryStore } from '../../runtime/store/index.ts';
import { describeStoreContract } from './contract.ts';

describeStoreContract('MemoryStore', () => Promise.resolve({ store: new MemoryStore() }), { fuzzRuns: 200 });

/**
 * A second process writing to a DiskStore, for tests/store/disk-processes.slow.test.ts:
 *   node --import tsx tests/store/disk-writer-child.ts <root> increment <n>  — n compare-and-swap increments
 *     of the document t/c/counter, retrying on conflict; prints {"conflicts": k} when done;
 *   node --import tsx tests/store/disk-writer-child.ts <root> churn <bytes>  — rewrites t/c/doc with documents
 *     {i, pad: digit × bytes} until killed; prints "ready" after the first write.
 */
import { DiskStore, StoreError } from '../../runtime/store/index.ts';

const [root, mode, count] = process.argv.slice(2);
if (root === undefined || (mode !== 'increment' && mode !== 'churn') || !(Number(count) > 0))
  throw new Error('usage: disk-writer-child.ts <root> increment <n> | churn <bytes>');
const store = new DiskStore(root);

if (mode === 'increment') {
  let conflicts = 0;
  for (let i = 0; i < Number(count); i++) {
    for (;;) {
      const current = await store.get('t', 'c', 'counter');
      const value = (current?.value as { count: number } | undefined)?.count ?? 0;
      try {
        await store.put('t', 'c', 'counter', { count: value + 1 }, { ifVersion: current?.version ?? null });
        break;
      } catch (error) {
        if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
        conflicts++;
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ conflicts })}\n`);
} else {
  for (let i = 0; ; i++) {
    await store.put('t', 'c', 'doc', { i, pad: String(i % 10).repeat(Number(count)) });
    if (i === 0) process.stdout.write('ready\n');
  }
}

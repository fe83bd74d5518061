// Public surface of the stores (`midl/runtime/store`): the backend contract, the built-in backends, and
// the registry that opens one from what an operator writes (`--store DIR|URL`, $FOUNTAINSTORE_DIR).
export * from './backend.ts';
export { MemoryStore } from './memory.ts';
export { listPage, MAX_LIST_LIMIT } from './paging.ts';

// Public surface of the stores (`midl/runtime/store`): the backend contract, the built-in backends, and
// the registry that opens one from what an operator writes (`--store DIR|URL`, $FOUNTAINSTORE_DIR).
export * from './backend.ts';
export { MemoryStore } from './memory.ts';
export { listPage, MAX_LIST_LIMIT } from './paging.ts';
export { contentVersion } from './version.ts';
export { DiskStore, DISK_MAX_DOCUMENT_BYTES, type DiskStoreOptions } from './disk.ts';
export { FountainStoreHttp, HTTP_DEFAULT_TIMEOUT_MS, HTTP_MAX_RESPONSE_BYTES, type FountainStoreHttpOptions } from './http.ts';
export { DEFAULT_STORE_DIR, openStore, StoreRegistry, storeRegistry, type StoreEnvironment, type StoreOpener } from './open.ts';

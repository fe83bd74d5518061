/**
 * Incremental SHA-256, synchronous, on every host: @noble/hashes (pure JS) in a browser; Node's
 * OpenSSL hash where the host offers it without a `node:` import (`process.getBuiltinModule`, Node ≥
 * 20.16), so that bundles for a browser never see node:crypto while Node keeps a hash about 20 times
 * faster on large payloads. Both give the same digest (tests/bus/web-crypto.test.ts).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export interface Sha256 {
  update(data: Uint8Array): Sha256;
  digest(): Uint8Array;
}

interface NodeCrypto {
  createHash(algorithm: 'sha256'): Sha256;
}

const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
const nodeCrypto = host.process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/** The pure-JS hash, whatever the host (exported for the test that compares it with node:crypto). */
export const portableSha256 = (): Sha256 => nobleSha256.create();

export const createSha256: () => Sha256 = nodeCrypto ? () => nodeCrypto.createHash('sha256') : portableSha256;

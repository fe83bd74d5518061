/**
 * The randomness and comparisons the bus needs, from Web Crypto (`globalThis.crypto`, in Node ≥ 20 and
 * every browser) rather than node:crypto, so that the runtime core bundles for a browser.
 */
import { encodeBase64 } from '../codec/base64.ts';

/** The part of Web Crypto used here (the repository's lib has no DOM types). */
interface RandomSource {
  getRandomValues<T extends Uint8Array | Uint32Array>(array: T): T;
}

function webCrypto(): RandomSource {
  const crypto = (globalThis as { crypto?: Partial<RandomSource> }).crypto;
  if (typeof crypto?.getRandomValues !== 'function') throw new Error('midl needs Web Crypto (globalThis.crypto.getRandomValues): Node ≥ 20 or a browser');
  return crypto as RandomSource;
}

/** `n` cryptographically random bytes (n ≤ 65,536, Web Crypto's limit per call). */
export function randomBytes(n: number): Uint8Array {
  return webCrypto().getRandomValues(new Uint8Array(n));
}

/** A random unsigned 32-bit integer. */
export function randomU32(): number {
  return webCrypto().getRandomValues(new Uint32Array(1))[0]!;
}

/** `bytes` random bytes as base64url without padding (RFC 4648 §5), the form peers exchange tokens in. */
export function randomToken(bytes: number): string {
  return encodeBase64(randomBytes(bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const utf8 = new TextEncoder();

/**
 * Whether two secrets are equal, in time that depends on their length only, never on where they
 * differ (a peer guessing a token learns nothing from how fast it is refused). Compared as UTF-8.
 */
export function secretsEqual(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupeIdentity } from '../../runtime/bus/exactly-once.ts';
import { createSha256, portableSha256 } from '../../runtime/bus/sha256.ts';
import { randomBytes, randomToken, randomU32, secretsEqual } from '../../runtime/bus/web-crypto.ts';
import { nodeDedupeIdentity } from '../helpers/node-dedupe-identity.ts';

/**
 * The bus's crypto moved from node:crypto to Web Crypto and @noble/hashes (so that it bundles for a
 * browser). What peers and journals already hold must not change: dedupe identities are persisted in
 * `--state` journals and recordings, and resume tokens travel between nodes of different versions.
 */
describe('dedupe identities', () => {
  it('are the SHA-256 node:crypto gives over the same length-prefixed parts', () => {
    // Pinned values (also checked with Python's hashlib): a change here breaks every existing journal.
    expect(dedupeIdentity('client', 'gpu/job.dispatch', 42n, Uint8Array.from([1, 2, 3]))).toBe('16af5764e4e93368383d220ccabaa3fc');
    expect(dedupeIdentity('', '', 0n, new Uint8Array(0))).toBe('3882deca5e96a0e0b8db258f26c1fe4b');
    const big = new Uint8Array(70_000).map((_, i) => (i * 31) & 255);
    const cases: [string, string, bigint, Uint8Array][] = [
      ['client', 'gpu/job.dispatch', 42n, Uint8Array.from([1, 2, 3])],
      ['nœud-é', 'llm/chat/{corr}', 0xffff_ffff_ffff_ffffn, big],
      // A lone surrogate: both encoders write U+FFFD for it.
      ['bad\ud800', 'a/b', 1n, big.subarray(3, 99)],
      ['x'.repeat(300), 'gpu/buffer.data/7', 123_456_789_012n, new Uint8Array(0)],
    ];
    for (const c of cases) expect(dedupeIdentity(...c)).toBe(nodeDedupeIdentity(...c));
  });

  it('hash alike with the pure-JS SHA-256 (browsers) and the host’s (Node), fed whole or in pieces', () => {
    const data = new Uint8Array(200_003).map((_, i) => (i * 7 + (i >> 8)) & 255);
    const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex');
    for (const size of [0, 1, 55, 56, 63, 64, 65, 1_000, 200_003]) {
      const whole = data.subarray(0, size);
      const expected = createHash('sha256').update(whole).digest('hex');
      for (const make of [portableSha256, createSha256]) {
        expect(hex(make().update(whole).digest())).toBe(expected);
        // Unaligned pieces, as dedupeIdentity feeds it (4-byte prefixes between the parts).
        const h = make();
        for (let at = 0; at < size; at += 61) h.update(whole.subarray(at, Math.min(size, at + 61)));
        expect(hex(h.digest())).toBe(expected);
      }
    }
  });
});

describe('resume tokens', () => {
  it('are base64url without padding, as long as Node’s base64url of the same bytes', () => {
    for (let n = 1; n <= 30; n++) {
      const token = randomToken(n);
      expect(token).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(token).toHaveLength(Buffer.alloc(n).toString('base64url').length);
      // Decoding and re-encoding with Node gives the same text: the same alphabet and form.
      expect(Buffer.from(token, 'base64url')).toHaveLength(n);
      expect(Buffer.from(token, 'base64url').toString('base64url')).toBe(token);
    }
    expect(randomToken(24)).toHaveLength(32);
    expect(new Set(Array.from({ length: 50 }, () => randomToken(24))).size).toBe(50);
  });

  it('compare equal only when every byte is equal, whatever the lengths', () => {
    const t = randomToken(24);
    expect(secretsEqual(t, t.slice())).toBe(true);
    expect(secretsEqual('é✓', 'é✓')).toBe(true);
    expect(secretsEqual('', '')).toBe(true);
    expect(secretsEqual(t, `${t[0] === 'A' ? 'B' : 'A'}${t.slice(1)}`)).toBe(false);
    expect(secretsEqual(t, `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(secretsEqual(t, t.slice(0, -1))).toBe(false);
    expect(secretsEqual(t, `${t}A`)).toBe(false);
    expect(secretsEqual('', t)).toBe(false);
    // Same UTF-16 length, different UTF-8 bytes and lengths.
    expect(secretsEqual('é', 'e')).toBe(false);
  });
});

describe('random values', () => {
  it('come from Web Crypto in the sizes asked', () => {
    expect(randomBytes(16)).toHaveLength(16);
    expect(randomBytes(0)).toHaveLength(0);
    const ids = Array.from({ length: 100 }, randomU32);
    for (const id of ids) expect(id).toBe(id >>> 0);
    expect(new Set(ids).size).toBeGreaterThan(95);
  });
});

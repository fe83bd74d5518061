import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsOf, capabilityMaskHelpers, maskAllows } from '../../runtime/bus/index.ts';

const table = Object.freeze({
  'gpu.admin': { bit: 8, mask: 1n << 8n, doc: 'admin' },
  'gpu.dispatch': { bit: 9, mask: 1n << 9n, doc: 'dispatch' },
  'top.bit': { bit: 63, mask: 1n << 63n, doc: 'the last bit' },
});
const C = capabilityMaskHelpers(table);
const mask64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('capability mask helpers', () => {
  it('maskOf ORs the named bits; unknown names throw', () => {
    expect(C.maskOf()).toBe(0n);
    expect(C.maskOf('gpu.admin', 'gpu.dispatch')).toBe(0x300n);
    expect(C.maskOf('top.bit')).toBe(0x8000000000000000n);
    expect(() => C.maskOf('nope' as 'gpu.admin')).toThrow(/unknown capability 'nope'/);
  });

  it('describe lists names in bit order and unknown bits as `bit N`', () => {
    expect(C.describe(0n)).toEqual([]);
    expect(C.describe(C.maskOf('top.bit', 'gpu.admin') | 1n | (1n << 40n))).toEqual(['bit 0', 'gpu.admin', 'bit 40', 'top.bit']);
    expect(C.nameOf(9)).toBe('gpu.dispatch');
    expect(C.nameOf(10)).toBeUndefined();
  });

  it('hasAll and hasAny treat unknown bits like known ones', () => {
    const unknown = 1n << 33n;
    const granted = C.maskOf('gpu.admin') | unknown;
    expect(C.hasAll(granted, unknown)).toBe(true);
    expect(C.hasAll(granted, C.maskOf('gpu.admin', 'gpu.dispatch'))).toBe(false);
    expect(C.hasAll(C.maskOf('gpu.admin'), C.maskOf('gpu.admin') | unknown)).toBe(false);
    expect(C.hasAll(0n, 0n)).toBe(true);
    expect(C.hasAny(granted, C.maskOf('gpu.dispatch') | unknown)).toBe(true);
    expect(C.hasAny(granted, 0n)).toBe(false);
  });

  it('rejects masks outside 0 … 2^64-1', () => {
    for (const bad of [-1n, 1n << 64n]) {
      expect(() => C.describe(bad)).toThrow(RangeError);
      expect(() => C.hasAll(bad, 0n)).toThrow(RangeError);
      expect(() => C.hasAny(0n, bad)).toThrow(RangeError);
    }
  });

  it('agrees with set semantics on random masks', () => {
    fc.assert(
      fc.property(mask64, mask64, (m, r) => {
        const mb = new Set(bitsOf(m));
        const rb = bitsOf(r);
        expect(C.hasAll(m, r)).toBe(rb.every((b) => mb.has(b)));
        expect(C.hasAny(m, r)).toBe(rb.some((b) => mb.has(b)));
        expect(maskAllows(m, r)).toBe(r === 0n || C.hasAny(m, r));
        expect(C.describe(m)).toHaveLength(mb.size);
      }),
    );
  });
});

/**
 * Capability masks: each capability owns one bit of a 64-bit mask (`bigint`). A session is granted a
 * mask; a topic names the capabilities allowed to publish and to subscribe (any one of them is enough).
 * Generated `capabilities.ts` builds its `CapabilityMask` helpers with `capabilityMaskHelpers`.
 */

/** One capability of a generated `Capabilities` table. */
export interface CapabilityInfo {
  readonly bit: number;
  readonly mask: bigint;
  readonly doc: string;
}

export const CAPABILITY_MASK_BITS = 64;
const ALL = (1n << BigInt(CAPABILITY_MASK_BITS)) - 1n;

/** Throws a RangeError unless `mask` is a bigint in 0 … 2^64-1. */
export function assertMask(mask: bigint, what = 'capability mask'): bigint {
  if (typeof mask !== 'bigint' || mask < 0n || mask > ALL) throw new RangeError(`${what} must be a bigint from 0 to 2^64-1, got ${String(mask)}`);
  return mask;
}

/** True when `mask` holds every bit of `required` (always true for 0n). */
export function maskHasAll(mask: bigint, required: bigint): boolean {
  return (assertMask(mask) & assertMask(required, 'required mask')) === required;
}

/** True when `mask` holds at least one bit of `required` (false for 0n). */
export function maskHasAny(mask: bigint, required: bigint): boolean {
  return (assertMask(mask) & assertMask(required, 'required mask')) !== 0n;
}

/** Whether a session holding `granted` may use an operation guarded by `required` (any bit, or none required). */
export function maskAllows(granted: bigint, required: bigint): boolean {
  return required === 0n || (granted & required) !== 0n;
}

/** Bit numbers set in a mask, ascending. */
export function bitsOf(mask: bigint): number[] {
  assertMask(mask);
  const out: number[] = [];
  for (let b = 0; b < CAPABILITY_MASK_BITS; b++) if ((mask >> BigInt(b)) & 1n) out.push(b);
  return out;
}

export interface CapabilityMaskHelpers<N extends string> {
  /** The mask holding the bits of the named capabilities (0n for none). */
  maskOf(...names: readonly N[]): bigint;
  /** True when `mask` holds every bit of `required`, known capability or not. */
  hasAll(mask: bigint, required: bigint): boolean;
  /** True when `mask` holds at least one bit of `required`. */
  hasAny(mask: bigint, required: bigint): boolean;
  /** Names of the capabilities in `mask` in bit order; bits no capability owns appear as `bit N`. */
  describe(mask: bigint): string[];
  /** Name of the capability owning `bit`, if any. */
  nameOf(bit: number): N | undefined;
}

/** Helpers bound to one capability table (name → {bit, mask, doc}). */
export function capabilityMaskHelpers<N extends string>(table: Readonly<Record<N, CapabilityInfo>>): CapabilityMaskHelpers<N> {
  const byBit = new Map<number, N>();
  for (const name of Object.keys(table) as N[]) byBit.set(table[name].bit, name);
  return Object.freeze({
    maskOf(...names: readonly N[]): bigint {
      let m = 0n;
      for (const n of names) {
        if (!Object.prototype.hasOwnProperty.call(table, n)) throw new RangeError(`unknown capability '${n}'`);
        m |= table[n].mask;
      }
      return m;
    },
    hasAll: maskHasAll,
    hasAny: maskHasAny,
    describe(mask: bigint): string[] {
      return bitsOf(mask).map((b) => byBit.get(b) ?? `bit ${b}`);
    },
    nameOf(bit: number): N | undefined {
      return byBit.get(bit);
    },
  });
}

/**
 * CRC-32 (IEEE, reflected 0xEDB88320) of a concatenation from the CRCs of its parts:
 * `crc32Combine(crc32(a), crc32(b), b.length) === crc32(a ‖ b)`. An upload's chunks are written
 * through to the device as they arrive, in any order; combining their (already verified) CRCs in offset
 * order checks the whole-transfer CRC without holding a single data byte.
 *
 * Arithmetic is over GF(2) polynomials modulo the CRC polynomial in the reflected bit order, where bit 31
 * is x^0: appending n zero bytes to a message multiplies its CRC register by x^(8n).
 */
const POLY = 0xedb88320;
const X0 = 0x80000000;

/** a(x)·b(x) mod P(x). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = X0; bit !== 0; bit >>>= 1) {
    if (a & bit) product ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** POWERS[k] = x^(2^k) mod P(x), k = 0…63, so that any x^n takes one multiplication per set bit of n. */
const POWERS: readonly number[] = (() => {
  const table: number[] = [];
  let p = X0 >>> 1; // x^1
  for (let k = 0; k < 64; k++) {
    table.push(p);
    p = multiplyModP(p, p);
  }
  return table;
})();

/** x^(8·bytes) mod P(x): the operator that shifts a CRC register past `bytes` zero bytes. */
function shiftOperator(bytes: number): number {
  let result = X0;
  let n = bytes;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) result = multiplyModP(POWERS[k]!, result);
  return result;
}

/** CRC-32 of `a ‖ b` from `crcA = crc32(a)`, `crcB = crc32(b)` and `b`'s length in bytes (any safe integer ≥ 0). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`crc32Combine: lengthB must be a safe integer ≥ 0, got ${lengthB}`);
  return (multiplyModP(shiftOperator(lengthB), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}

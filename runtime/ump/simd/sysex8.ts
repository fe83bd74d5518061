import { Code, ValType, WASM_PAGE, buildModule, wasmApi, type WasmMemory } from './wasm.ts';

/**
 * WebAssembly SIMD kernels for the SysEx8 Continue run: 13 data bytes ⇄ one 128-bit packet is one
 * `v128.load`, one `i8x16.swizzle` (+ `v128.or` of the header when packing), one `v128.store`. The JS
 * side copies a chunk of input into the module's memory, runs the kernel, and copies the chunk of
 * output back out. Memory is fixed at two pages (no growth, nothing retained per message): chunk
 * sizes from 1024 to 16384 packets measured the same at 1 MiB, so growing to whole messages buys
 * nothing. `sysEx8Kernel` is undefined where WebAssembly SIMD is missing (or the host is
 * big-endian): callers then keep their JS path, which produces the same words.
 */

/**
 * Packets per kernel call. Memory = two regions of 16 bytes per packet: OUT (pack: packets; unpack:
 * 13 bytes each + 3 bytes of overrun) then IN (pack: 13 bytes each + 3 bytes read past; unpack:
 * packets) — 4096 packets fill two pages exactly.
 */
export const SYSEX8_CHUNK_PACKETS = 4096;
const OUT = 0;
const IN = SYSEX8_CHUNK_PACKETS * 16;
const PAGES = Math.ceil((IN + SYSEX8_CHUNK_PACKETS * 16) / WASM_PAGE);

/**
 * Pack swizzle: output lanes (host order = little-endian, as a Uint32Array reads them) from the
 * loaded 16 bytes d0..d15. word0 = [d0, 0, 0, 0] (the header is or-ed in: byte 1 stream id, byte 2
 * status << 4 | #bytes, byte 3 0x50 | group); words 1..3 = data big-endian = [d4 d3 d2 d1],
 * [d8 d7 d6 d5], [d12 d11 d10 d9]. Index 0x80 (any ≥ 16) yields 0.
 */
export const PACK_LANES = [0, 0x80, 0x80, 0x80, 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9];
/** Unpack swizzle, the inverse: d0 = lane 0, d1..d4 = lanes 7..4, …; lanes 13..15 are overwritten by the next packet. */
export const UNPACK_LANES = [0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 0x80, 0x80, 0x80];
/** Packets per unrolled pack iteration (4: 0.73 ns/packet against 1.25 for 1; 8 gains nothing). */
const UNROLL = 4;

/*
 * Why i8x16.swizzle with the lane pattern in a local, not i8x16.shuffle with immediates: V8 (11.x,
 * Node 20) re-materializes a shuffle's masks from immediates at every use (movq/vpinsrq ×2 per
 * operand) and does not hoist them out of the loop; a two-operand shuffle costs two pshufb and a por
 * on top. A swizzle whose indices live in a local compiles to paddusb + pshufb against registers, so
 * the loop is load, swizzle, or, store: 2.4 → 0.73 ns per packet (measured, 4096-packet chunks).
 */

/**
 * `pack(src, dst, n, head)`: n packets of 13 bytes at src → n × 16 bytes at dst, word0 = head | d0.
 * Reads 3 bytes past the last packet's data (the input region has slack).
 */
function packCode(): Code {
  const [src, dst, n, head, hv, lanes] = [0, 1, 2, 3, 4, 5];
  const c = new Code();
  c.v128(new Array<number>(16).fill(0)).get(head).replaceLane32(0).set(hv); // hv = [head, 0, 0, 0]
  c.v128(PACK_LANES).set(lanes);
  // store(dst + 16k, or(swizzle(load(src + 13k), lanes), hv))
  const one = (k: number): Code =>
    c
      .get(dst)
      .get(src)
      .v128Load(13 * k)
      .get(lanes)
      .swizzle()
      .get(hv)
      .or128()
      .v128Store(16 * k);
  c.block(); //                                       label $done
  c.block(); //                                       label $single
  c.loop(); //                                        label $unrolled
  c.get(n).i32(UNROLL).ltU().brIf(1); //              fewer than UNROLL left → $single
  for (let k = 0; k < UNROLL; k++) one(k);
  c.bump(src, 13 * UNROLL)
    .bump(dst, 16 * UNROLL)
    .bump(n, -UNROLL);
  c.br(0).end().end(); //                              continue $unrolled; end $unrolled, $single
  c.loop(); //                                        label $one
  c.get(n).eqz().brIf(1); //                          none left → $done
  one(0);
  c.bump(src, 13).bump(dst, 16).bump(n, -1);
  c.br(0).end().end(); //                              continue $one; end $one, $done
  return c;
}

/**
 * `unpack(src, dst, n, top) → done`: up to n packets of 16 bytes at src → 13 bytes each at dst,
 * stopping at the first packet whose word0 & 0xFFFFFF00 is not `top`. Writes 3 bytes past the last
 * packet's data (the output region has slack). Returns the packets unpacked.
 */
function unpackCode(): Code {
  const [src, dst, n, top, done, v, lanes] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code();
  c.v128(UNPACK_LANES).set(lanes);
  c.block(); //                                       label $out
  c.loop(); //                                        label $next
  c.get(n).eqz().brIf(1); //                          none left → $out
  c.get(src).v128Load().set(v); //                    v = load(src)
  c.get(v)
    .extractLane32(0)
    .i32(0xffffff00 | 0)
    .and()
    .get(top)
    .ne()
    .brIf(1); // other header → $out
  c.get(dst).get(v).get(lanes).swizzle().v128Store(); // store(dst, swizzle(v, lanes))
  c.bump(src, 16).bump(dst, 13).bump(n, -1).bump(done, 1);
  c.br(0).end().end(); //                              continue $next; end $next, $out
  c.get(done);
  return c;
}

export function sysEx8ModuleBytes(): Uint8Array {
  return buildModule({ minPages: PAGES, maxPages: PAGES }, [
    { name: 'pack', params: 4, results: 0, locals: [{ count: 2, type: ValType.v128 }], code: packCode() },
    {
      name: 'unpack',
      params: 4,
      results: 1,
      locals: [
        { count: 1, type: ValType.i32 },
        { count: 2, type: ValType.v128 },
      ],
      code: unpackCode(),
    },
  ]);
}

export interface SysEx8Kernel {
  /**
   * Writes `packets` full packets (13 bytes each from `data[from]`) at `out[dst]`, word0 = `head | d0`.
   * The caller has checked every bound.
   */
  pack(out: Uint32Array, dst: number, data: Uint8Array, from: number, packets: number, head: number): void;
  /**
   * Appends the data of up to `packets` packets at `words[from]` to `bytes[p]` while word0 & 0xFFFFFF00
   * is `top`; returns how many it appended. The caller has checked every bound.
   */
  unpack(bytes: Uint8Array, p: number, words: Uint32Array, from: number, packets: number, top: number): number;
}

function load(): SysEx8Kernel | undefined {
  const api = wasmApi();
  if (!api || new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) return undefined;
  const bytes = sysEx8ModuleBytes();
  try {
    if (!api.validate(bytes)) return undefined;
    const exports = new api.Instance(new api.Module(bytes)).exports;
    const memory = exports['memory'] as WasmMemory;
    const pack = exports['pack'] as (src: number, dst: number, n: number, head: number) => void;
    const unpack = exports['unpack'] as (src: number, dst: number, n: number, top: number) => number;
    const mem8 = new Uint8Array(memory.buffer);
    const mem32 = new Uint32Array(memory.buffer);
    return {
      pack(out, dst, data, from, packets, head) {
        if (packets <= SYSEX8_CHUNK_PACKETS && from <= IN && data.length - from <= IN) {
          // One chunk: copy all of data (no subarray, ~40 ns less) so that data[from] lands at IN.
          mem8.set(data, IN - from);
          pack(IN, OUT, packets, head);
          out.set(new Uint32Array(memory.buffer, OUT, packets * 4), dst);
          return;
        }
        while (packets > 0) {
          const k = packets < SYSEX8_CHUNK_PACKETS ? packets : SYSEX8_CHUNK_PACKETS;
          mem8.set(data.subarray(from, from + k * 13), IN);
          pack(IN, OUT, k, head);
          out.set(new Uint32Array(memory.buffer, OUT, k * 4), dst);
          from += k * 13;
          dst += k * 4;
          packets -= k;
        }
      },
      unpack(bytes, p, words, from, packets, top) {
        let total = 0;
        while (packets > 0) {
          const k = packets < SYSEX8_CHUNK_PACKETS ? packets : SYSEX8_CHUNK_PACKETS;
          mem32.set(words.subarray(from, from + k * 4), IN / 4);
          const done = unpack(IN, OUT, k, top | 0);
          bytes.set(new Uint8Array(memory.buffer, OUT, done * 13), p);
          total += done;
          if (done < k) break;
          from += k * 4;
          p += k * 13;
          packets -= k;
        }
        return total;
      },
    };
  } catch {
    return undefined; // e.g. a content security policy forbidding WebAssembly compilation
  }
}

/** The SIMD kernels, or undefined where WebAssembly SIMD cannot run (callers use their JS path). */
export const sysEx8Kernel: SysEx8Kernel | undefined = load();

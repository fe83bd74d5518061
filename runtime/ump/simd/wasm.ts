/**
 * A tiny WebAssembly binary emitter, enough for the UMP SIMD kernels: one memory, i32/v128 locals,
 * blocks, loops and the handful of SIMD instructions they use. No assembler is involved: every byte
 * below is named after the WebAssembly Core Specification 2.0 (§5 "Binary Format") and the SIMD
 * proposal it absorbed, so the kernels can be read instruction by instruction.
 *
 * The runtime's `tsconfig` has no DOM lib, so the few WebAssembly JS API members used are typed here
 * and looked up on `globalThis` (absent in some embedders: then the caller keeps its JS path).
 */

/** The WebAssembly JS API members midl uses. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: Record<string, unknown> };
}

/** A `WebAssembly.Memory` as far as midl touches it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export function wasmApi(): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: Partial<WasmApi> }).WebAssembly;
  return api && typeof api.validate === 'function' && typeof api.Module === 'function' && typeof api.Instance === 'function' ? (api as WasmApi) : undefined;
}

/** WebAssembly page size (§2.5.7): memories grow in 64 KiB units. */
export const WASM_PAGE = 65536;

/** Value types (§5.3.1). */
export const ValType = { i32: 0x7f, v128: 0x7b } as const;

/** Opcodes used by the kernels (§5.4). SIMD ones are `0xFD` + a LEB128 u32 sub-opcode (§5.4.8). */
export const Op = {
  /** `block bt` — `bt` 0x40 = no result. Branch to it = jump past its `end`. */
  block: 0x02,
  /** `loop bt` — branch to it = jump back to its start. */
  loop: 0x03,
  /** `br l` — unconditional branch to enclosing label l (0 = innermost). */
  br: 0x0c,
  /** `br_if l` — pops an i32, branches when it is non-zero. */
  brIf: 0x0d,
  /** `end` — closes a block, loop or function body. */
  end: 0x0b,
  /** `local.get x` / `local.set x`. */
  localGet: 0x20,
  localSet: 0x21,
  /** `i32.const n` — n as signed LEB128. */
  i32Const: 0x41,
  /** `i32.eqz`, `i32.ne`, `i32.lt_u` — comparisons yielding i32 0/1. */
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  /** `i32.add`, `i32.and` — wrap-around addition, bitwise and. */
  i32Add: 0x6a,
  i32And: 0x71,
  /** Prefix of the SIMD instructions. */
  simd: 0xfd,
} as const;

/** SIMD sub-opcodes (after `0xFD`). */
export const SimdOp = {
  /** `v128.load memarg` — 16 bytes from memory, any alignment. */
  v128Load: 0x00,
  /** `v128.store memarg` — 16 bytes to memory. */
  v128Store: 0x0b,
  /** `i8x16.shuffle l0..l15` — 16 immediate lane indices: 0..15 pick from the first operand, 16..31 from the second. */
  i8x16Shuffle: 0x0d,
  /** `i8x16.swizzle` — lanes of the first operand picked by the second's bytes; indices ≥ 16 give 0. */
  i8x16Swizzle: 0x0e,
  /** `v128.const b0..b15` — a 16-byte immediate. */
  v128Const: 0x0c,
  /** `v128.and`, `v128.or` — bitwise. */
  v128And: 0x4e,
  v128Or: 0x50,
  /** `i32x4.replace_lane l` — the vector with lane l (0..3) replaced by an i32. */
  i32x4ReplaceLane: 0x1c,
  /** `i32x4.splat` — an i32 repeated in all four lanes. */
  i32x4Splat: 0x11,
  /** `i32x4.extract_lane l` — lane l (0..3) as an i32. */
  i32x4ExtractLane: 0x1b,
} as const;

/** Appends an unsigned LEB128 (§5.2.2). */
export function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Appends a signed LEB128 (§5.2.2) of a 32-bit integer. */
export function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A function body under construction: the instruction bytes, emitted by name. */
export class Code {
  readonly bytes: number[] = [];

  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  /** An opcode with one LEB128 u32 immediate (a label depth or a local index). */
  private opIndex(op: number, index: number): this {
    this.bytes.push(op);
    uleb(this.bytes, index);
    return this;
  }
  private simd(sub: number): this {
    this.bytes.push(Op.simd);
    uleb(this.bytes, sub);
    return this;
  }
  /** memarg (§5.4.6): alignment exponent (hint only; 0 = byte aligned), then the constant offset. */
  private memarg(align: number, offset: number): this {
    uleb(this.bytes, align);
    uleb(this.bytes, offset);
    return this;
  }

  block(): this {
    return this.op(Op.block, 0x40);
  }
  loop(): this {
    return this.op(Op.loop, 0x40);
  }
  br(label: number): this {
    return this.opIndex(Op.br, label);
  }
  brIf(label: number): this {
    return this.opIndex(Op.brIf, label);
  }
  end(): this {
    return this.op(Op.end);
  }
  get(local: number): this {
    return this.opIndex(Op.localGet, local);
  }
  set(local: number): this {
    return this.opIndex(Op.localSet, local);
  }
  i32(value: number): this {
    this.op(Op.i32Const);
    sleb(this.bytes, value);
    return this;
  }
  eqz(): this {
    return this.op(Op.i32Eqz);
  }
  ne(): this {
    return this.op(Op.i32Ne);
  }
  ltU(): this {
    return this.op(Op.i32LtU);
  }
  add(): this {
    return this.op(Op.i32Add);
  }
  and(): this {
    return this.op(Op.i32And);
  }
  /** `local = local + delta` (delta may be negative). */
  bump(local: number, delta: number): this {
    return this.get(local).i32(delta).add().set(local);
  }
  v128Load(offset = 0): this {
    return this.simd(SimdOp.v128Load).memarg(0, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(SimdOp.v128Store).memarg(0, offset);
  }
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
      throw new RangeError(`i8x16.shuffle needs 16 lane indices in 0..31, got [${lanes.join(', ')}]`);
    }
    this.simd(SimdOp.i8x16Shuffle);
    this.bytes.push(...lanes);
    return this;
  }
  swizzle(): this {
    return this.simd(SimdOp.i8x16Swizzle);
  }
  v128(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new RangeError('v128.const needs 16 bytes');
    this.simd(SimdOp.v128Const);
    this.bytes.push(...bytes.map((b) => b & 0xff));
    return this;
  }
  and128(): this {
    return this.simd(SimdOp.v128And);
  }
  or128(): this {
    return this.simd(SimdOp.v128Or);
  }
  replaceLane32(lane: number): this {
    this.simd(SimdOp.i32x4ReplaceLane);
    this.bytes.push(lane);
    return this;
  }
  splat32(): this {
    return this.simd(SimdOp.i32x4Splat);
  }
  extractLane32(lane: number): this {
    this.simd(SimdOp.i32x4ExtractLane);
    this.bytes.push(lane);
    return this;
  }
}

/** One exported function: its i32 parameters and results, extra locals by type, and its body. */
export interface WasmFunction {
  readonly name: string;
  readonly params: number;
  readonly results: number;
  readonly locals: readonly { readonly count: number; readonly type: number }[];
  readonly code: Code;
}

/** A section (§5.5.2): id, byte size, contents. */
function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
}

function name(out: number[], text: string): void {
  const utf8 = new TextEncoder().encode(text);
  uleb(out, utf8.length);
  out.push(...utf8);
}

/**
 * A module (§5.5): one memory (`minPages`..`maxPages`, exported as "memory") and the given functions,
 * all exported, all of type `(i32 × params) → (i32 × results)`.
 */
export function buildModule(memory: { readonly minPages: number; readonly maxPages: number }, functions: readonly WasmFunction[]): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
  // Type section (1): one functype per function — 0x60, vec(params), vec(results).
  const types: number[] = [];
  uleb(types, functions.length);
  for (const f of functions) {
    types.push(0x60);
    uleb(types, f.params);
    for (let i = 0; i < f.params; i++) types.push(ValType.i32);
    uleb(types, f.results);
    for (let i = 0; i < f.results; i++) types.push(ValType.i32);
  }
  section(out, 1, types);
  // Function section (3): function i has type i.
  const funcs: number[] = [];
  uleb(funcs, functions.length);
  functions.forEach((_, i) => uleb(funcs, i));
  section(out, 3, funcs);
  // Memory section (5): one memory, limits flag 0x01 = min and max given.
  const mem: number[] = [1, 0x01];
  uleb(mem, memory.minPages);
  uleb(mem, memory.maxPages);
  section(out, 5, mem);
  // Export section (7): name, kind (0x00 function, 0x02 memory), index.
  const exports: number[] = [];
  uleb(exports, functions.length + 1);
  name(exports, 'memory');
  exports.push(0x02, 0);
  functions.forEach((f, i) => {
    name(exports, f.name);
    exports.push(0x00);
    uleb(exports, i);
  });
  section(out, 7, exports);
  // Code section (10): per function, its size, vec(locals as count × type), the body, `end`.
  const code: number[] = [];
  uleb(code, functions.length);
  for (const f of functions) {
    const body: number[] = [];
    uleb(body, f.locals.length);
    for (const l of f.locals) {
      uleb(body, l.count);
      body.push(l.type);
    }
    body.push(...f.code.bytes, Op.end);
    uleb(code, body.length);
    code.push(...body);
  }
  section(out, 10, code);
  return Uint8Array.from(out);
}

import type { BenchCase, BenchSuite } from '../harness.ts';
import { UmpReader, packSysEx8, packSysEx8Into, sysEx8WordCount } from '../../runtime/ump/index.ts';
import { useSysEx8Kernel } from '../../runtime/ump/sysex8.ts';

/**
 * SysEx8 pack (bytes → packets) and unpack (packets → reassembled bytes) at 1 KiB and 1 MiB, each
 * against a plain Buffer.copy of the same bytes in the same run. "pack" returns a fresh Uint32Array
 * (its allocation and first-touch page faults included); "pack into" reuses the caller's buffer.
 * The Continue runs go through the WebAssembly SIMD kernel where it runs (the "(JS path)" cases
 * switch it off for the call, to show the portable path in the same run).
 */
function withoutKernel<T>(f: () => T): T {
  useSysEx8Kernel(false);
  try {
    return f();
  } finally {
    useSysEx8Kernel(true);
  }
}

function sizeCases(label: string, size: number): BenchCase[] {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
  const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const dst = Buffer.alloc(size);
  const copy = { name: `Buffer.copy ${label}`, fn: () => src.copy(dst) };
  const options = { group: 1, streamId: 7 };
  const reused = new Uint32Array(sysEx8WordCount(size));
  const packed = packSysEx8(data, options);
  const reader = new UmpReader({ maxMessageBytes: size, timeoutMs: Infinity });
  const check = reader.push(packed);
  const first = check[0];
  if (check.length !== 1 || first === undefined || first instanceof Error || first.kind !== 'sysex8' || first.data.length !== size) {
    throw new Error(`ump bench: unpack of ${label} did not round-trip`);
  }
  return [
    { name: `SysEx8 pack ${label}`, fn: () => packSysEx8(data, options), baseline: copy, bytesPerOp: size },
    { name: `SysEx8 pack into reused buffer ${label}`, fn: () => packSysEx8Into(reused, 0, data, options), baseline: copy, bytesPerOp: size },
    {
      name: `SysEx8 pack into reused buffer (JS path) ${label}`,
      fn: () => withoutKernel(() => packSysEx8Into(reused, 0, data, options)),
      baseline: copy,
      bytesPerOp: size,
    },
    { name: `SysEx8 unpack ${label}`, fn: () => reader.push(packed), baseline: copy, bytesPerOp: size },
    { name: `SysEx8 unpack (JS path) ${label}`, fn: () => withoutKernel(() => reader.push(packed)), baseline: copy, bytesPerOp: size },
  ];
}

export const suite: BenchSuite = {
  name: 'ump',
  cases: () => [...sizeCases('1 KiB', 1024), ...sizeCases('1 MiB', 1024 * 1024)],
};

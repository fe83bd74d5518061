import type { BenchCase, BenchSuite } from '../harness.ts';
import { UmpReader, packSysEx8, packSysEx8Into, sysEx8WordCount } from '../../runtime/index.ts';
// Not public: the switch between the WebAssembly SIMD kernel and the JS paths is an internal knob, and
// this suite measures both paths in one run to show what the kernel buys; nothing else here reaches in.
import { useSysEx8Kernel } from '../../runtime/ump/sysex8.ts';

/**
 * SysEx8 pack (bytes → packets) and unpack (packets → reassembled bytes) at 1 KiB and 1 MiB, each
 * against a copy of the same bytes in the same run: the same data moved without the packet format, the
 * floor of any packing. Allocation is matched: "pack" returns a fresh Uint32Array and "unpack" fresh
 * data, so their anchor copies into a fresh buffer of the same size (zero-filled, as typed arrays are);
 * "pack into" reuses the caller's buffer, so its anchor copies into a reused one.
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
  const options = { group: 1, streamId: 7 };
  const words = sysEx8WordCount(size);
  const reused = new Uint32Array(words);
  const reusedCopy = new Uint8Array(words * 4);
  const packed = packSysEx8(data, options);
  const reader = new UmpReader({ maxMessageBytes: size, timeoutMs: Infinity });
  const check = reader.push(packed);
  const first = check[0];
  if (check.length !== 1 || first === undefined || first instanceof Error || first.kind !== 'sysex8' || first.data.length !== size) {
    throw new Error(`ump bench: unpack of ${label} did not round-trip`);
  }
  const intoFresh = (bytes: number) => ({
    name: `copy ${label} into a fresh ${bytes} B buffer`,
    fn: () => {
      const out = new Uint8Array(bytes);
      out.set(data);
      return out;
    },
    bytesPerOp: size,
  });
  const packAnchor = intoFresh(words * 4);
  const intoReused = { name: `copy ${label} into a reused ${words * 4} B buffer`, fn: () => reusedCopy.set(data), bytesPerOp: size };
  const unpackAnchor = intoFresh(size);
  return [
    { name: `SysEx8 pack ${label}`, fn: () => packSysEx8(data, options), baseline: packAnchor, bytesPerOp: size },
    { name: `SysEx8 pack into reused buffer ${label}`, fn: () => packSysEx8Into(reused, 0, data, options), baseline: intoReused, bytesPerOp: size },
    {
      name: `SysEx8 pack into reused buffer (JS path) ${label}`,
      fn: () => withoutKernel(() => packSysEx8Into(reused, 0, data, options)),
      baseline: intoReused,
      bytesPerOp: size,
    },
    { name: `SysEx8 unpack ${label}`, fn: () => reader.push(packed), baseline: unpackAnchor, bytesPerOp: size },
    { name: `SysEx8 unpack (JS path) ${label}`, fn: () => withoutKernel(() => reader.push(packed)), baseline: unpackAnchor, bytesPerOp: size },
  ];
}

export const suite: BenchSuite = {
  name: 'ump',
  cases: () => [...sizeCases('1 KiB', 1024), ...sizeCases('1 MiB', 1024 * 1024)],
};

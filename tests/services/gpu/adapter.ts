/**
 * Whether the GPU tests can run here: a real adapter, or a reason to skip that says why. Under CI a
 * missing adapter is a failure, never a skip (`.ci/run` installs Mesa lavapipe).
 */
import type { PipelineCreate } from '../../../generated/index.ts';
import { RemoteError } from '../../../runtime/index.ts';
import { describeGpu, GpuUnavailableError } from '../../../services/index.ts';

const probe = await describeGpu();
if (probe instanceof GpuUnavailableError && process.env.CI !== undefined) throw probe;

/** Undefined when an adapter exists; otherwise the title suffix saying why the suite is skipped. */
export const noAdapter: string | undefined =
  probe instanceof GpuUnavailableError ? `(skipped: no WebGPU adapter on this machine: ${probe.message}; ${probe.help})` : undefined;

/** Awaits `work` and expects it refused with the GpuError `name`; returns the refusal. */
export async function refusal(work: Promise<unknown> | (() => unknown), name: string): Promise<RemoteError> {
  let thrown: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof RemoteError))
    throw new Error(
      `expected RemoteError ${name}, got ${thrown === undefined ? 'success' : thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : typeof thrown}`,
    );
  if (thrown.errorName !== name) throw new Error(`expected ${name}, got ${thrown.errorName}: ${thrown.message}`);
  return thrown;
}

/** A pipeline request for inline WGSL with entry point `main`, auto layout and no constants, unless `extra` says otherwise. */
export const wgsl = (source: string, extra: Partial<PipelineCreate> = {}): PipelineCreate => ({
  source: { kind: 'wgsl', value: source },
  entryPoint: 'main',
  layouts: [],
  constants: new Map(),
  ...extra,
});

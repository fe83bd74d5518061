/**
 * Acquires a WebGPU device through Dawn for Node (`webgpu`): Vulkan first (Mesa lavapipe on a machine
 * without a GPU), Dawn's OpenGL ES backend as the fallback, and a report of what was found.
 */
import { create } from 'webgpu';

export type GpuBackend = 'auto' | 'vulkan' | 'opengles';

export interface GpuOpenOptions {
  readonly backend?: GpuBackend;
}

/** What `midl gpu info` prints: the adapter's identity, features and limits. */
export interface GpuAdapterReport {
  readonly backend: 'vulkan' | 'opengles';
  readonly featureLevel: 'core' | 'compatibility';
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  readonly features: string[];
  readonly limits: Record<string, number>;
}

export interface GpuDevice {
  readonly device: GPUDevice;
  readonly report: GpuAdapterReport;
  /** Resolves with `reason: message` when the device is lost (including by `close()`). */
  readonly lost: Promise<string>;
  /** Uncaptured device errors, newest last, at most `UNCAPTURED_ERRORS_KEPT`; never printed. */
  readonly uncapturedErrors: readonly string[];
  close(): void;
}

export const UNCAPTURED_ERRORS_KEPT = 64;

const SETUP_HELP =
  'install a WebGPU-capable driver: on Debian run `bash ../shared/tools/setup-webgpu.sh` (Mesa lavapipe ≥ 24 ' +
  "from bookworm-backports, a Vulkan driver that computes on the CPU), or install the GPU vendor's Vulkan driver";

/** No adapter could be acquired: `message` says what was tried, `help` how to get one. */
export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
  readonly code = 'unavailable';
  constructor(
    readonly attempts: readonly string[],
    readonly help: string = SETUP_HELP,
  ) {
    super(`no WebGPU adapter: ${attempts.join('; ')}`);
  }
}

interface Route {
  readonly backend: 'vulkan' | 'opengles';
  readonly featureLevel: 'core' | 'compatibility';
  readonly dawnOptions: string[];
  readonly prepare?: () => void;
}

const VULKAN: Route = { backend: 'vulkan', featureLevel: 'core', dawnOptions: ['backend=vulkan'] };
const OPENGLES: Route = {
  backend: 'opengles',
  featureLevel: 'compatibility',
  dawnOptions: ['backend=opengles'],
  // Dawn's GL backend opens EGL; without a display server only the surfaceless platform works.
  prepare: () => {
    process.env.EGL_PLATFORM ??= 'surfaceless';
  },
};

function routesFor(backend: GpuBackend): Route[] {
  if (backend === 'vulkan') return [VULKAN];
  if (backend === 'opengles') return [OPENGLES];
  return [VULKAN, OPENGLES];
}

interface Acquired {
  // The GPU object `create()` returned: it must stay reachable while the device lives, or Dawn crashes
  // in onSubmittedWorkDone when the garbage collector frees it.
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly route: Route;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The route's adapter, or what went wrong, as one line for GpuUnavailableError. */
async function tryRoute(route: Route): Promise<Acquired | string> {
  try {
    route.prepare?.();
    const gpu = create(route.dawnOptions);
    const adapter = await gpu.requestAdapter({ featureLevel: route.featureLevel });
    return adapter === null ? `${route.backend} (${route.featureLevel}): Dawn found no adapter` : { gpu, adapter, route };
  } catch (error) {
    return `${route.backend} (${route.featureLevel}): ${messageOf(error)}`;
  }
}

async function acquireAdapter(backend: GpuBackend): Promise<Acquired> {
  const attempts: string[] = [];
  for (const route of routesFor(backend)) {
    const acquired = await tryRoute(route);
    if (typeof acquired !== 'string') return acquired;
    attempts.push(acquired);
  }
  throw new GpuUnavailableError(attempts);
}

function readLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Dawn's limits are getters on the prototype: `for…in` reaches them, Object.keys does not.
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

function reportOf(adapter: GPUAdapter, route: Route): GpuAdapterReport {
  const info = adapter.info;
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const infoFallback = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    backend: route.backend,
    // What the adapter gives, not what was asked: a compatibility request may still yield a core adapter.
    featureLevel: adapter.features.has('core-features-and-limits') ? 'core' : 'compatibility',
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: infoFallback ?? legacyFallback ?? false,
    features: [...adapter.features].sort(),
    limits: readLimits(adapter.limits),
  };
}

/**
 * Opens a device with all the adapter's features and limits on the first route that gives one (Vulkan,
 * then OpenGL ES for `auto`): an adapter that refuses a device sends the search on to the next route.
 */
export async function openGpu(options: GpuOpenOptions = {}): Promise<GpuDevice> {
  const attempts: string[] = [];
  for (const route of routesFor(options.backend ?? 'auto')) {
    const acquired = await tryRoute(route);
    if (typeof acquired === 'string') {
      attempts.push(acquired);
      continue;
    }
    const report = reportOf(acquired.adapter, route);
    try {
      const device = await acquired.adapter.requestDevice({ requiredFeatures: report.features as GPUFeatureName[], requiredLimits: report.limits });
      return deviceOf(acquired.gpu, device, report);
    } catch (error) {
      attempts.push(`${route.backend}: the adapter "${report.description}" refused a device: ${messageOf(error)}`);
    }
  }
  throw new GpuUnavailableError(attempts);
}

function deviceOf(gpu: GPU, device: GPUDevice, report: GpuAdapterReport): GpuDevice {
  const uncapturedErrors: string[] = [];
  device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
    uncapturedErrors.push(event.error.message);
    if (uncapturedErrors.length > UNCAPTURED_ERRORS_KEPT) uncapturedErrors.shift();
  };
  const lost = device.lost.then((info) => `${info.reason}: ${info.message}`);
  // The GPU object `create()` returned: it must stay reachable while the device lives, or Dawn crashes
  // in onSubmittedWorkDone when the garbage collector frees it.
  let held: GPU | undefined = gpu;
  return {
    device,
    report,
    lost,
    uncapturedErrors,
    close() {
      if (held === undefined) return;
      device.destroy();
      // Released only after the device's lost promise settled, so Dawn's callbacks still find it.
      void lost.then(() => {
        held = undefined;
      });
    },
  };
}

/** The adapter report for `midl gpu info`, or why there is none. Opens no device. */
export async function describeGpu(options: GpuOpenOptions = {}): Promise<GpuAdapterReport | GpuUnavailableError> {
  try {
    const { adapter, route } = await acquireAdapter(options.backend ?? 'auto');
    return reportOf(adapter, route);
  } catch (error) {
    if (error instanceof GpuUnavailableError) return error;
    throw error;
  }
}

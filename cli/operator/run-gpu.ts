import { ALL_CAPABILITIES, NetworkBus } from '../../runtime/index.ts';
import { Capabilities, intents, topics } from '../../generated/index.ts';
import { GpuEngine, GpuUnavailableError, describeGpu, directoryModuleStore, serveGpu, type GpuAdapterReport, type GpuBackend } from '../../services/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { listenPlan, serveBus, type ListenFlags } from './listen.ts';
import { describeError, untilSignal } from './options.ts';
import { grantFromFlags, type GrantFlags } from './grants.ts';

export interface GpuServeOptions extends ListenFlags, GrantFlags {
  backend: GpuBackend;
  /** `--modules DIR`: where stored WGSL modules are (not a FountainStore: `--store` means one everywhere else). */
  modules?: string;
}

export interface GpuInfoOptions {
  backend: GpuBackend;
  json?: boolean;
}

/** `midl gpu serve`: a session authority whose bus answers every gpu/* topic on a WebGPU device. */
export async function runGpuServe(opts: GpuServeOptions, setExit: SetExitCode): Promise<void> {
  // Every usage mistake is found before the device opens (which takes a while).
  const plan = listenPlan(opts);
  if (plan.storedUsers !== undefined) throw new UsageError('--users store:ID is for midl peer --store; midl gpu serve reads its users from a file');
  const grant = grantFromFlags(opts, Capabilities);
  let engine: GpuEngine;
  try {
    engine = await GpuEngine.open({ backend: opts.backend, ...(opts.modules === undefined ? {} : { resolveSource: directoryModuleStore(opts.modules) }) });
  } catch (err) {
    if (!(err instanceof GpuUnavailableError)) throw err;
    process.stderr.write(`error: ${err.message}\nhelp: ${err.help}\n`);
    return setExit(ExitCode.Failure);
  }
  process.stderr.write(`gpu: ${adapterLine(engine.report)}\n`);
  engine.onDeviceLost((reason) => process.stderr.write(`warning: the WebGPU device was lost: ${reason}; every request now fails with DEVICE_LOST\n`));
  const bus = new NetworkBus({
    name: opts.name,
    topics: Object.values(topics),
    intents: Object.values(intents),
    // The authority's own session serves every gpu/* topic; what clients get is the grant's business.
    capabilities: ALL_CAPABILITIES,
    ...(grant === undefined ? {} : { grant }),
    onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
  });
  const host = serveGpu(bus, engine, { name: opts.name, onError: (error, where) => process.stderr.write(`warning: ${where}: ${describeError(error)}\n`) });
  const shutdown = async (code: ExitCode, served?: { close(): Promise<void> }): Promise<void> => {
    await served?.close();
    await host.close();
    await bus.close();
    await engine.close();
    setExit(code);
  };
  await host.ready;
  // Listening for the signal before the listener says it listens: a SIGTERM sent on that line is a clean stop.
  const signalled = untilSignal();
  const served = await serveBus(bus, plan, opts);
  if (typeof served === 'number') return shutdown(served);
  await signalled;
  await shutdown(ExitCode.Ok, served);
}

/** `midl gpu info`: the adapter `serve` would use, or why there is none and how to get one (exit 1). */
export async function runGpuInfo(opts: GpuInfoOptions, setExit: SetExitCode): Promise<void> {
  const report = await describeGpu({ backend: opts.backend });
  if (report instanceof GpuUnavailableError) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ error: report.message, help: report.help })}\n`);
    else process.stderr.write(`error: ${report.message}\nhelp: ${report.help}\n`);
    return setExit(ExitCode.Failure);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const lines = [
    `adapter: ${adapterLine(report)}`,
    `features: ${report.features.length === 0 ? '(none)' : [...report.features].sort().join(', ')}`,
    'limits:',
    ...Object.entries(report.limits)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `  ${name} ${value}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function adapterLine(r: GpuAdapterReport): string {
  const names = [r.vendor, r.architecture, r.device, r.description].filter((s) => s !== '');
  return `${names.join(' / ') || 'unnamed adapter'} (backend ${r.backend}, ${r.featureLevel} feature level${r.isFallbackAdapter ? ', a software fallback' : ''})`;
}

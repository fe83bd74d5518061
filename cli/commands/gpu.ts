import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addListenOptions } from '../operator/options.ts';
import type { GpuInfoOptions, GpuServeOptions } from '../operator/run-gpu.ts';

const backendOption = (): Option =>
  new Option(
    '--backend <kind>',
    "WebGPU backend: vulkan (Dawn on Vulkan, e.g. Mesa lavapipe), opengles (Dawn's GL backend, compatibility level), or auto: vulkan, else opengles",
  )
    .choices(['auto', 'vulkan', 'opengles'])
    .default('auto');

/**
 * `midl gpu serve` and `midl gpu info`: the WebGPU compute plane (services/gpu) as a command. `serve`
 * is a session authority like `midl peer`, on any transport, that answers every `gpu/*` topic on a
 * WebGPU device; `info` says which adapter that would be, or why there is none.
 */
export function registerGpu(program: Command, setExit: SetExitCode): void {
  const gpu = program.command('gpu').description('the WebGPU compute plane: serve the gpu/* topics on a WebGPU device, or show the adapter');

  const serve = addListenOptions(
    gpu.command('serve').description('serve every gpu/* topic (idl/gpu) on a WebGPU device to the bus sessions of a listener, as their session authority'),
    'midl gpu',
  )
    .addOption(backendOption())
    .option(
      '--grant <caps>',
      'grant clients only these capabilities (comma-separated, e.g. gpu.dispatch,gpu.read) of those they ask for; default: what they ask for',
    )
    .option(
      '--policy <file>',
      'grant by the rules of this policy file (YAML: per user and client name, capabilities, maxPayload, qos; see docs/policy.md) instead of --grant',
    )
    .option('--modules <dir>', 'resolve stored WGSL modules (ShaderSource.stored) from DIR: DIR/[CORPUS/][COLLECTION/]ID[@VERSION].wgsl');
  serve.action(async (opts: GpuServeOptions) => (await import('../operator/run-gpu.ts')).runGpuServe(opts, setExit));

  gpu
    .command('info')
    .description('show the WebGPU adapter midl gpu serve would use (backend, adapter, limits, features), or why none is available and how to get one')
    .addOption(backendOption())
    .option('--json', 'one JSON document: the adapter report, or {"error":"…","help":"…"}')
    .action(async (opts: GpuInfoOptions) => (await import('../operator/run-gpu.ts')).runGpuInfo(opts, setExit));
}

import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';

type Register = (program: Command, setExit: SetExitCode) => void;

/**
 * The CLI's table of contents: each command's name and how to load the module that registers it. A
 * module is imported only when its command runs (or for the whole list), so `midl ports` does not load
 * the compiler, YAML and template engines that `midl gen` needs: in the emulated CPU of the ALSA guest
 * (tests/alsa) each module costs a noticeable share of a start.
 */
const commandModules: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['init', async () => (await import('./init.ts')).registerInit],
  ['check', async () => (await import('./check.ts')).registerCheck],
  ['fmt', async () => (await import('./fmt.ts')).registerFmt],
  ['gen', async () => (await import('./gen.ts')).registerGen],
  ['ump', async () => (await import('./ump.ts')).registerUmp],
  ['discover', async () => (await import('./discover.ts')).registerDiscover],
  ['ports', async () => (await import('./ports.ts')).registerPorts],
  ['peer', async () => (await import('./peer.ts')).registerPeer],
  ['send', async () => (await import('./send.ts')).registerSend],
  ['call', async () => (await import('./call.ts')).registerCall],
  ['tail', async () => (await import('./tail.ts')).registerTail],
  ['replay', async () => (await import('./replay.ts')).registerReplay],
  ['midi', async () => (await import('./midi.ts')).registerMidi],
  ['ci', async () => (await import('./ci.ts')).registerCi],
  ['gpu', async () => (await import('./gpu.ts')).registerGpu],
  ['publish', async () => (await import('./publish.ts')).registerPublish],
  ['pull', async () => (await import('./pull.ts')).registerPull],
  ['mcp', async () => (await import('./mcp.ts')).registerMcp],
  ['bridge', async () => (await import('./bridge.ts')).registerBridge],
  ['stream', async () => (await import('./stream.ts')).registerStream],
];

/** Whether `name` is one of the CLI's commands. */
export function isCommandName(name: string | undefined): boolean {
  return commandModules.some(([command]) => command === name);
}

/** Registers the command named `only`, or every command when `only` is undefined. */
export async function registerCommands(program: Command, setExit: SetExitCode, only?: string): Promise<void> {
  for (const [name, load] of commandModules) if (only === undefined || name === only) (await load())(program, setExit);
}

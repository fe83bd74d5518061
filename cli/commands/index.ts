import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { registerUmp } from './ump.ts';
import { registerInit } from './init.ts';
import { registerCheck } from './check.ts';
import { registerFmt } from './fmt.ts';
import { registerGen } from './gen.ts';
import { registerDiscover } from './discover.ts';
import { registerPorts } from './ports.ts';
import { registerPeer } from './peer.ts';
import { registerSend } from './send.ts';
import { registerCall } from './call.ts';
import { registerTail } from './tail.ts';
import { registerReplay } from './replay.ts';
import { registerMidi } from './midi.ts';
import { registerGpu } from './gpu.ts';

/** Each command module registers itself on the program; the list is the CLI's table of contents. */
const commandModules: Array<(program: Command, setExit: SetExitCode) => void> = [
  registerInit,
  registerCheck,
  registerFmt,
  registerGen,
  registerUmp,
  registerDiscover,
  registerPorts,
  registerPeer,
  registerSend,
  registerCall,
  registerTail,
  registerReplay,
  registerMidi,
  registerGpu,
];

export function registerCommands(program: Command, setExit: SetExitCode): void {
  for (const register of commandModules) register(program, setExit);
}

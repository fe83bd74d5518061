import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';

/** Each command module registers itself on the program; the list is the CLI's table of contents. */
const commandModules: Array<(program: Command, setExit: SetExitCode) => void> = [];

export function registerCommands(program: Command, setExit: SetExitCode): void {
  for (const register of commandModules) register(program, setExit);
}

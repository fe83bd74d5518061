import type { Command } from 'commander';
import { ExitCode, type SetExitCode } from '../exit.ts';
import { TransportError, listMidiPorts, type MidiPortList } from '../../runtime/transports/index.ts';

interface PortsOptions {
  readonly json?: boolean;
}

/** `midl ports`: lists the hardware and virtual MIDI inputs and outputs, as `midi:NAME` and `midi:#N` name them. */
export function registerPorts(program: Command, setExit: SetExitCode): void {
  program
    .command('ports')
    .description('List hardware and virtual MIDI inputs and outputs (open one with midi:NAME or midi:#INDEX)')
    .option('--json', 'one JSON document {"inputs":[{"index":0,"name":"…"}],"outputs":[…]}')
    .action(async (o: PortsOptions) => {
      let ports: MidiPortList;
      try {
        ports = await listMidiPorts();
      } catch (err) {
        // No MIDI system here (no ALSA sequencer, no native module): one line saying so, no stack trace.
        if (err instanceof TransportError) {
          process.stderr.write(`error: ${err.message}\n`);
          setExit(ExitCode.Failure);
          return;
        }
        throw err;
      }
      if (o.json) {
        process.stdout.write(JSON.stringify({ inputs: ports.inputs, outputs: ports.outputs }) + '\n');
        return;
      }
      for (const [title, list] of [
        ['inputs', ports.inputs],
        ['outputs', ports.outputs],
      ] as const) {
        process.stdout.write(`${title}:\n`);
        if (list.length === 0) process.stdout.write('  (none)\n');
        for (const p of list) process.stdout.write(`  #${p.index}  ${p.name}\n`);
      }
    });
}

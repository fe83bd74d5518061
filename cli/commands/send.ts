import type { Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, addPublishOptions, qosOption, schemaOption } from '../operator/options.ts';
import type { SendOptions } from '../operator/run-send.ts';

/**
 * `midl send`: one message (`--json`) or one per line of a JSONL file (`--file`) to a peer. Every value
 * is decoded and validated before anything is sent; then messages are pipelined and each counts once
 * its publish resolves (acknowledged, for at-least-once and exactly-once). Exit 0 only when all were.
 */
export function registerSend(program: Command, setExit: SetExitCode): void {
  const cmd = program.command('send').description('publish a message, or one per line of a JSONL file, to a peer; exit 1 unless every one was delivered');
  addClientOptions(
    addPublishOptions(cmd)
      .requiredOption('--topic <address>', 'concrete address (gpu/job.result/42) or a template without parameters')
      .option('--json <value>', "the payload in the topic's JSON form")
      .option('--file <file.jsonl>', 'one payload per line (blank lines skipped)')
      .addOption(qosOption("delivery guarantee instead of the topic's"))
      .addOption(schemaOption()),
    'midl send',
  ).action(async (opts: SendOptions) => (await import('../operator/run-send.ts')).runSend(opts, setExit));
}

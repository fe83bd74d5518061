import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, addPublishOptions, qosOption, schemaOption } from '../operator/options.ts';
import type { SendOptions } from '../operator/run-send.ts';

/**
 * `midl send`: one message (`--json`) or one per line of a JSONL file (`--file`) to a peer. Every value
 * is decoded and validated before anything is sent; then messages are pipelined and each counts once
 * its publish resolves (acknowledged, for at-least-once and exactly-once). Exit 0 only when all were.
 * Exactly-once messages carry idempotency keys (operator/send-keys.ts), so sending a file again
 * delivers each line once overall.
 */
export function registerSend(program: Command, setExit: SetExitCode): void {
  const cmd = program.command('send').description('publish a message, or one per line of a JSONL file, to a peer; exit 1 unless every one was delivered');
  addClientOptions(
    addPublishOptions(cmd)
      .requiredOption('--topic <address>', 'concrete address (gpu/job.result/42) or a template without parameters')
      .option('--json <value>', "the payload in the topic's JSON form")
      .option('--file <file.jsonl>', 'one payload per line (blank lines skipped)')
      .option('--failed <file>', 'write every line not delivered to FILE, as it was in the input, so that FILE can be sent again as is')
      .addOption(
        new Option(
          '--key <u64>',
          'with --json on an exactly-once topic: the idempotency key (default: a random one); the same key and value again are delivered once',
        ).argParser(u64),
      )
      .addOption(qosOption("delivery guarantee instead of the topic's"))
      .addOption(schemaOption()),
    'midl send',
  ).action(async (opts: SendOptions) => (await import('../operator/run-send.ts')).runSend(opts, setExit));
}

/** Commander argument parser for an idempotency key: a decimal u64 other than 0. */
function u64(raw: string): bigint {
  const t = raw.trim();
  if (!/^\d{1,20}$/.test(t)) throw new InvalidArgumentError('expected a whole number 1..18446744073709551615');
  const n = BigInt(t);
  if (n === 0n || n >= 1n << 64n) throw new InvalidArgumentError('expected a whole number 1..18446744073709551615');
  return n;
}

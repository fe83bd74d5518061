import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, milliseconds, peerUrlHelp, schemaOption } from '../operator/options.ts';
import type { CallOptions } from '../operator/run-call.ts';

/**
 * `midl call`: one request from the shell. The reply is printed on stdout as one JSON line (the reply
 * type's canonical JSON), an error reply, a timeout or a refusal on stderr; the exit code says which.
 */
export function registerCall(program: Command, setExit: SetExitCode): void {
  addClientOptions(
    program
      .command('call')
      .description('make a request to a peer and print the typed reply as a JSON line; exit 1 on an error reply, a timeout or a refusal')
      .requiredOption('--to <url>', peerUrlHelp())
      .requiredOption('--topic <address>', 'concrete address of a topic with a reply type (gpu/buffer.create, gpu/buffer.read)')
      .requiredOption('--json <value>', "the request payload in the topic's JSON form")
      .addOption(new Option('--timeout <ms>', 'how long to wait for the reply once the request is sent').argParser(milliseconds).default(5000))
      .addOption(schemaOption()),
    'midl call',
  ).action(async (opts: CallOptions) => (await import('../operator/run-call.ts')).runCall(opts, setExit));
}

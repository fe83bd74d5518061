import type { Command, Option } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addListenOptions, schemaOption } from '../operator/options.ts';
import type { BridgeOptions } from '../operator/run-bridge.ts';

/**
 * `midl bridge`: the Flex bridge (services/bridge) as a session authority on any transport, answering
 * flex/envelope with the HTTP services the schema's intents map to.
 */
export function registerBridge(program: Command, setExit: SetExitCode): void {
  const bridge = addListenOptions(
    program
      .command('bridge')
      .description('the Flex bridge: answer intent envelopes on flex/envelope by calling the HTTP service each intent maps to, replying on flex/reply/{corr}'),
    'midl bridge',
  )
    .option(
      '--service <name=url>',
      "base URL of a service by the service: name of the schema's intents (planner, llm_gateway, tools_factory, function_caller, persist, awareness); repeatable",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--token-url <url>', "the gateway's token endpoint (e.g. http://gateway:8010/auth/token): its JWT goes as a bearer token with every service call")
    .option('--client-id <id>', 'client id sent to --token-url as {clientId, clientSecret}')
    .option('--client-secret-file <file>', 'the client secret for --token-url: the first line of FILE (readable by its owner only)')
    .option('--journal <dir>', 'write <corr>-req.json before the ack and <corr>-res.json after the final reply into DIR')
    .option('--max-age <ms>', "accept envelopes whose ts is at most this many milliseconds from the bridge clock (default: the policy's maxAgeMs, else 60000)")
    .option('--timeout <ms>', "how long a service may take to answer (default: the policy's timeoutMs, else 10000)")
    .option(
      '--policy <file|dir>',
      'the bridge policy (YAML; a directory: its *.yaml and *.yml files in name order): services, token endpoint, journal, and what each device may send how fast (docs/bridge.md); the flags above replace its settings',
    )
    .addOption(bridgeSchemaOption())
    .option(
      '--metrics <host:port>',
      'serve Prometheus metrics (bus link and topic counters, envelopes, replies, call durations) at http://HOST:PORT/metrics (port 0: any free port, printed on stderr)',
    );
  bridge.action(async (opts: BridgeOptions) => (await import('../operator/run-bridge.ts')).runBridge(opts, setExit));
}

/** `--schema` as every operator command reads it, but without it the bridge serves its bundled intents, not the midl.yaml found from here. */
function bridgeSchemaOption(): Option {
  const option = schemaOption();
  option.description = 'midl.yaml, or a .midl file or directory, whose intents the bridge serves (default: the bundled FountainAI intents)';
  return option;
}

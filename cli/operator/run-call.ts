import { isBusError, type JsonValue } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadClientSchema } from '../schema-runtime.ts';
import { openClient, type ClientOptions } from './client.ts';
import { describeError, untilSignal } from './options.ts';
import { readPayloads } from './payloads.ts';
import { resolveTopic } from './topics.ts';
import { urlOption } from './urls.ts';

export interface CallOptions extends ClientOptions {
  to: string;
  topic: string;
  json: string;
  timeout: number;
  schema?: string;
}

/** What `midl call` does (commands/call.ts defines its options). */
export async function runCall(opts: CallOptions, setExit: SetExitCode): Promise<void> {
  const to = urlOption('--to', opts.to, 'connect');
  const schema = await loadClientSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  const { topic, params, address } = resolveTopic(schema, opts.topic);
  const replyCodec = topic.reply;
  if (!replyCodec) {
    throw new UsageError(`${address} has no reply type: nothing answers a request on it; publish on it with midl send --to … --topic ${address} --json …`);
  }
  const payloads = readPayloads(topic, [{ text: opts.json, where: '--json' }]);
  if (!payloads) return setExit(ExitCode.Failure);
  const client = await openClient(to, schema, opts);
  if (!client) return setExit(ExitCode.Failure);
  let reply: JsonValue | undefined;
  const interrupt = new AbortController();
  const asked = (async () => {
    try {
      reply = replyCodec.toJSON(await client.bus.request(topic, payloads[0]!.value, { params, timeoutMs: opts.timeout }));
    } catch (err) {
      // After Ctrl-C the request fails as `closed` because this command closed the bus: said once, below.
      if (!interrupt.signal.aborted) process.stderr.write(`error: ${describeFailure(err)}\n`);
    }
  })();
  // Ctrl-C while waiting ends the session with a Bye rather than leaving the peer to time it out.
  const ended = await untilSignal(asked);
  if (ended !== 'done') {
    interrupt.abort();
    process.stderr.write(`error: interrupted (${ended}) before a reply came\n`);
  }
  await client.bus.close();
  await asked;
  if (interrupt.signal.aborted || reply === undefined) return setExit(ExitCode.Failure);
  process.stdout.write(`${JSON.stringify(reply)}\n`);
  setExit(ExitCode.Ok);
}

/**
 * One stderr line led by the bus's error code; an error reply also names its member of the topic's error
 * set and its number, and what it attached follows on lines of their own: its detail as JSON, its retry hint.
 */
function describeFailure(err: unknown): string {
  if (!isBusError(err, 'remote') || !err.remote) return describeError(err);
  const { name, code, message, detail, retryAfterMs } = err.remote;
  let text = `remote: ${name} (${code}): ${message}`;
  if (detail !== undefined) text += `\ndetail: ${JSON.stringify(detail)}`;
  if (retryAfterMs !== undefined) text += `\nhelp: the responder says a retry may succeed after ${retryAfterMs} ms`;
  return text;
}

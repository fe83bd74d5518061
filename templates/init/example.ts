/**
 * The starter program: a greeter service and a client of it, talking Network MIDI 2.0 over UDP on
 * 127.0.0.1 through the code `midl gen` wrote into generated/ from schema/greeter.midl.
 *
 *   node dist/example.js                    serve on a free port, greet once, print the reply, exit
 *   node dist/example.js --serve [--port N] only serve (default port 5673) until Ctrl-C, for
 *                                           `npx midl call --to udp://127.0.0.1:5673 --topic greeter/greet --json '{"name":"Ada"}'`
 */
import { parseArgs } from 'node:util';
import { NetworkBus, RemoteError } from 'midl/runtime';
import { Nm2Endpoint, connectNm2 } from 'midl/runtime/transports';
import { CapabilityMask, createClient, intents, topics, type GreetRequest, type Greeting } from './generated/index.ts';

const DEFAULT_PORT = 5673;
const HOST = '127.0.0.1';

const { values: flags } = parseArgs({ options: { serve: { type: 'boolean', default: false }, port: { type: 'string' } } });
const port = flags.port === undefined ? (flags.serve ? DEFAULT_PORT : 0) : Number(flags.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`error: --port must be a UDP port number (0 to 65535), not ${String(flags.port)}`);
  process.exit(2);
}

// What the bus knows about this schema: every topic and intent generated from it.
const registry = { topics: Object.values(topics), intents: Object.values(intents) };

const GREETINGS: Readonly<Record<string, string>> = { en: 'Hello', de: 'Hallo', es: 'Hola', fr: 'Bonjour', it: 'Ciao' };

/** The service itself: a typed request in, a typed reply (or a member of the topic's error set) out. */
function greet(request: GreetRequest): Greeting {
  const word = GREETINGS[request.language];
  if (word === undefined) throw new RemoteError('UNKNOWN_LANGUAGE', `no greeting is known in '${request.language}'`);
  return { text: `${word}, ${request.name}!` };
}

// The service: a UDP endpoint whose sessions become bus sessions with this node as their authority. It
// answers greeter/greet, so it holds greeter.answer; each client is granted what it asks for.
const endpoint = await Nm2Endpoint.listen({ host: HOST, port, name: 'greeter' }).catch((err: unknown) => {
  // A port in use (another `npm run serve`?) is a message, not a stack trace.
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const serviceBus = new NetworkBus({ name: 'greeter', ...registry, capabilities: CapabilityMask.maskOf('greeter.answer') });
endpoint.onSession((link) => serviceBus.accept(link));
await createClient(serviceBus).greeter.greet.serve(greet).ready;

async function shutDown(): Promise<void> {
  await serviceBus.close();
  await endpoint.close();
}

if (flags.serve) {
  // The same line `midl peer` prints: scripts wait for it before they call.
  console.error(`listening on udp://${HOST}:${endpoint.port}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.error(`${signal}: closing`);
  await shutDown();
} else {
  // A client: invite the endpoint, open a session asking for greeter.ask only, then make one request.
  const open = () => connectNm2(`udp://${HOST}:${endpoint.port}`, { name: 'example-client' });
  const clientBus = new NetworkBus({ name: 'example-client', ...registry, capabilities: CapabilityMask.maskOf('greeter.ask') });
  await clientBus.connect(await open(), { reconnect: open });
  try {
    const reply = await createClient(clientBus).greeter.greet.request({ name: 'Ada', language: 'en' }, { timeoutMs: 2000 });
    console.log(reply.text);
  } catch (err) {
    // A timeout, a refusal or an error reply (a BusError, its code first): one line, and exit 1.
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await clientBus.close();
    await shutDown();
  }
}

import type { LoadedSchema } from '../../cli/schema-runtime.ts';
import { ALL_CAPABILITIES, NetworkBus, RemoteError, type AnyTopicDescriptor, type NetworkBusOptions, type UmpLink } from '../../runtime/index.ts';
import { transports, type TransportListener } from '../../runtime/transports/index.ts';
import { tempProject } from './cli.ts';

/**
 * The schema of the `midl call` tests: topics with a reply and an error set (one served, one served by a
 * responder that never answers, one served by nobody), one without a reply, and a capability that
 * grants none of them.
 */
export const CALC_SCHEMA = `/// Requests of the midl call tests.
package calc.test;
version "1.0.0";

/// May make requests and serve them.
capability calc.use = 1;
/// Grants nothing the topics need.
capability calc.watch = 2;

/// Why a division failed.
errors CalcError {
  DIVIDE_BY_ZERO = 7 "the divisor is zero";
}

/// Two 64-bit numbers.
struct Division {
  /// Dividend.
  a: u64 @1;
  /// Divisor.
  b: u64 @2;
}

/// A result.
struct Quotient {
  /// The quotient (a string in JSON).
  q: u64 @1;
  /// Where it was computed.
  unit: string @2;
}

/// Divides, on a named unit.
topic calc/divide/{unit} {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
  errors: CalcError;
}

/// Served by a responder that never answers.
topic calc/stall {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}

/// Served by nobody.
topic calc/unserved {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}

/// A log line: published, never answered.
topic calc/log {
  payload: Division;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}
`;

/** A temp directory holding calc.midl; pass the returned path as `--schema`. */
export function calcProject(): string {
  return `${tempProject({ 'calc.midl': CALC_SCHEMA })}/calc.midl`;
}

/** A calc.test.Division as the bus decodes it. */
export interface Division {
  readonly a: bigint;
  readonly b: bigint;
}

/** The test's own authority for the calc schema, and what its responders saw. */
export interface CalcAuthority {
  readonly bus: NetworkBus;
  /** The schema's topic at `address`. */
  topic(address: string): AnyTopicDescriptor;
  /** What the divide responder was asked, requests and plain publications alike, in order. */
  readonly divisions: { readonly value: Division; readonly replyTo: string | undefined }[];
  /** What calc/log received. */
  readonly logged: unknown[];
  /** Every link the authority accepted, in order. */
  readonly links: UmpLink[];
  /** Requests the stall responder took (and will never answer). */
  stalled(): number;
  /** Listens on `url` (e.g. `udp://127.0.0.1:0`), every session going to the authority; closed by `close`. */
  listen(url: string): Promise<TransportListener>;
  /** Closes the listeners, then the authority. */
  close(): Promise<void>;
}

/**
 * A NetworkBus authority on the calc schema (`loaded`, e.g. from `calcProject()` or a schema extending
 * CALC_SCHEMA): a client called "outsider" is granted only calc.watch, which no topic needs; it divides on
 * calc/divide/{unit} (b = 0 is DIVIDE_BY_ZERO, and 7 / 0 also carries a detail and a retry hint), takes
 * calc/stall requests and never answers them, and keeps what calc/log receives.
 */
export function startCalcAuthority(loaded: LoadedSchema, onError: NetworkBusOptions['onError']): CalcAuthority {
  const topic = (address: string): AnyTopicDescriptor => {
    const found = loaded.topics.find((t) => t.address === address);
    if (!found) throw new Error(`the calc schema has no topic ${address}`);
    return found;
  };
  const bus = new NetworkBus({
    name: 'calc authority',
    topics: loaded.topics,
    intents: loaded.intents,
    capabilities: ALL_CAPABILITIES,
    grant: (requested, hello) => (hello.name === 'outsider' ? requested & loaded.capabilities['calc.watch']!.mask : requested),
    onError,
  });
  const divisions: { value: Division; replyTo: string | undefined }[] = [];
  const logged: unknown[] = [];
  const links: UmpLink[] = [];
  const listeners: TransportListener[] = [];
  let stalled = 0;
  bus.serve(topic('calc/divide/{unit}'), (value, delivery) => {
    const d = value as Division;
    divisions.push({ value: d, replyTo: delivery.replyTo });
    if (d.b === 0n && d.a === 7n)
      throw new RemoteError('DIVIDE_BY_ZERO', 'the divisor is zero (7 / 0)', { detail: { dividend: '7', field: 'b' }, retryAfterMs: 1500 });
    if (d.b === 0n) throw new RemoteError('DIVIDE_BY_ZERO');
    return { q: d.a / d.b, unit: delivery.params['unit']! };
  });
  bus.serve(topic('calc/stall'), () => {
    stalled++;
    return new Promise<never>(() => undefined);
  });
  bus.subscribe(topic('calc/log'), (value) => void logged.push(value));
  return {
    bus,
    topic,
    divisions,
    logged,
    links,
    stalled: () => stalled,
    async listen(url) {
      const listener = await transports.listen(url, { name: 'calc authority' });
      listeners.push(listener);
      listener.onSession((link) => {
        links.push(link);
        bus.accept(link);
      });
      return listener;
    },
    async close() {
      for (const l of listeners.splice(0)) await l.close();
      await bus.close();
    },
  };
}

/**
 * The Flex bridge's overhead per intent (issue 15): one call = seed 001's planner.execute end to end.
 * A device NetworkBus publishes the envelope on flex/envelope over Network MIDI 2.0 (UDP, 127.0.0.1) to
 * the bridge's NetworkBus (the session authority), where `serveFlexBridge` validates it, checks its
 * `ts` and `corr`, acks it on flex/reply/{corr}, POSTs the body to a node:http planner on 127.0.0.1,
 * validates the planner's answer against the intent's reply type and publishes it as the success; the
 * call ends when the device's handler has that success.
 *
 * Anchor: the same POST (same URL, headers and body bytes, built by the bridge's own `intentRequest`)
 * made directly with the global fetch to the same planner, reading its JSON answer — the same undici
 * pool, so both sides reuse the same keep-alive connections. Checked once before timing: the anchor's
 * answer equals the success body the device got, and the device heard ack before success.
 *
 * Second case: the bridge attaches a bearer token from a GatewayToken whose token endpoint runs in the
 * bench; the token is fetched before timing and cached, so the case measures the steady state (a cache
 * lookup and a header); its anchor sends the same header, from the same GatewayToken.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { BenchCase, BenchSuite } from '../harness.ts';
import type { JsonValue, NetworkBus, UmpLink } from '../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, intents, topics, type FlexReply } from '../../generated/index.ts';
import { GatewayToken, intentRequest, serveFlexBridge, type FlexBridge } from '../../services/index.ts';
// Seed 001's exchange, written out once for the bridge tests and the bench.
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../tests/helpers/seed-001.ts';
import { assertNoErrors, deadline, node, resource } from '../net.ts';
import { nm2Wire, type WireListener } from '../wires.ts';

const intent = intents['planner.execute'];
const SETUP_MS = 10_000;
/** One intent (or one direct call) that takes longer than this fails the case rather than hanging the run. */
const CALL_MS = 5_000;
/** Largest request body the bench's services read: the seed's body is a few hundred bytes. */
const MAX_BODY = 64 * 1024;
const CLIENT = { clientId: 'bench-footswitch', clientSecret: 'bench-secret' };

/** A node:http server on 127.0.0.1 answering each request by `route` (method, url, headers, body text). */
interface Service {
  readonly baseUrl: string;
  /** Requests answered so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

type Answer = { readonly status: number; readonly json: unknown };

async function startService(route: (req: IncomingMessage, body: string) => Answer): Promise<Service> {
  let requests = 0;
  const answer = (res: ServerResponse, { status, json }: Answer): void => {
    const text = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        answer(res, { status: 413, json: { error: `request body over ${MAX_BODY} bytes` } });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      requests++;
      let reply: Answer;
      try {
        reply = route(req, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        // A body the route cannot read (not JSON) is a 400 the caller sees, and so fails the case.
        reply = { status: 400, json: { error: err instanceof Error ? err.message : String(err) } };
      }
      answer(res, reply);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The planner of seed 001's appendix: POST /planner/execute → its response; with `bearer`, only calls carrying it. */
function planner(bearer: () => string | undefined) {
  return startService((req, body) => {
    if (req.method !== 'POST' || req.url !== '/planner/execute') return { status: 404, json: { error: `no route ${req.method} ${req.url}` } };
    const expected = bearer();
    if (expected !== undefined && req.headers.authorization !== `Bearer ${expected}`) return { status: 401, json: { error: 'bad token' } };
    // The bridge sends the body it validated, as JSON; a planner would read it.
    JSON.parse(body);
    return { status: 200, json: PLANNER_RESPONSE };
  });
}

/** A gateway's token endpoint (FountainKit's shape): POST {clientId, clientSecret} → {token, expiresAt}, an hour from now. */
function tokenEndpoint(issued: string[]) {
  return startService((req, body) => {
    if (req.method !== 'POST' || req.url !== '/auth/token') return { status: 404, json: {} };
    if (!isDeepStrictEqual(JSON.parse(body), CLIENT)) return { status: 401, json: { error: 'unknown client' } };
    const token = `bench-token-${issued.length + 1}`;
    issued.push(token);
    return { status: 200, json: { token, expiresAt: new Date(Date.now() + 3_600_000).toISOString() } };
  });
}

/** Waits for the device's final reply per corr; an error reply or an ack missing before the success fails the call. */
class Replies {
  private readonly waiting = new Map<string, { acked: boolean; resolve: (r: FlexReply) => void; reject: (e: Error) => void }>();
  acks = 0;

  readonly onReply = (r: FlexReply): void => {
    const w = this.waiting.get(r.corr);
    if (!w) return;
    if (r.success === undefined && r.error === undefined) {
      if (r.ack) {
        w.acked = true;
        this.acks++;
      }
      return;
    }
    this.waiting.delete(r.corr);
    if (r.error !== undefined) w.reject(new Error(`bridge bench: ${r.corr} answered error ${r.error.code} ${r.error.message}`));
    else if (!w.acked) w.reject(new Error(`bridge bench: ${r.corr} had its success before its ack`));
    else w.resolve(r);
  };

  expect(corr: string): Promise<FlexReply> {
    return new Promise((resolve, reject) => this.waiting.set(corr, { acked: false, resolve, reject }));
  }
}

interface Setup {
  readonly planner: Service;
  readonly gateway: Service | undefined;
  readonly issued: string[];
  readonly token: GatewayToken | undefined;
  readonly listener: WireListener;
  readonly link: UmpLink;
  readonly authority: NetworkBus;
  readonly device: NetworkBus;
  readonly bridge: FlexBridge;
  readonly replies: Replies;
  readonly errors: unknown[];
  /** Intents the device sent and direct calls the anchor made, to check the planner saw exactly those. */
  readonly counts: { intents: number; direct: number };
}

/** The planner (and with `withToken` the token endpoint), the bridge behind an NM2 listener, and a device in a session with it. */
function bridgeSetup(withToken: boolean) {
  return resource<Setup>(
    async () => {
      const errors: unknown[] = [];
      const issued: string[] = [];
      const opened: (() => Promise<void> | void)[] = [];
      try {
        const gateway = withToken ? await tokenEndpoint(issued) : undefined;
        if (gateway) opened.push(() => gateway.close());
        const token = gateway ? new GatewayToken({ tokenUrl: `${gateway.baseUrl}/auth/token`, ...CLIENT }) : undefined;
        const plannerService = await planner(() => (withToken ? issued.at(-1) : undefined));
        opened.push(() => plannerService.close());
        const authority = node('flex bridge', errors, { capabilities: CapabilityMask.maskOf('flex.bridge') });
        opened.push(() => authority.close());
        const bridge = serveFlexBridge(authority, {
          services: { planner: plannerService.baseUrl },
          ...(token ? { token } : {}),
          onError: (e) => void errors.push(e),
        });
        opened.push(() => bridge.close());
        await deadline(bridge.ready, SETUP_MS, 'flex bridge ready');
        const listener = await nm2Wire.listen('bench flex bridge', (l) => authority.accept(l), errors);
        opened.push(() => listener.close());
        const link = await listener.connect('bench device');
        opened.push(() => link.close());
        const device = node('bench device', errors, { capabilities: CapabilityMask.maskOf('flex.send') });
        opened.push(() => device.close());
        await deadline(device.connect(link), SETUP_MS, 'device NetworkBus connect');
        const replies = new Replies();
        await deadline(device.subscribe(topics['flex/reply/{corr}'], replies.onReply).ready, SETUP_MS, 'device subscribe flex/reply/{corr}');
        // The steady state: the token is fetched once here, then served from the cache.
        if (token) await deadline(token.bearer(), SETUP_MS, 'gateway token');
        return {
          planner: plannerService,
          gateway,
          issued,
          token,
          listener,
          link,
          authority,
          device,
          bridge,
          replies,
          errors,
          counts: { intents: 0, direct: 0 },
        };
      } catch (err) {
        for (const close of opened.reverse()) await close();
        throw err;
      }
    },
    async (s) => {
      await s.device.close();
      await s.link.close();
      await s.bridge.close();
      await s.authority.close();
      await s.listener.close();
      await s.planner.close();
      await s.gateway?.close();
      assertNoErrors('bridge bench', s.errors);
    },
  );
}

/** The envelope in the device's decoded form; each intent gets its own corr and the current time. */
const seed = FlexEnvelope.fromJSON(SEED_ENVELOPE);
let corrs = 0;

async function sendIntent(s: Setup): Promise<FlexReply> {
  const corr = `bench-${++corrs}`;
  const final = s.replies.expect(corr);
  await s.device.publish(topics['flex/envelope'], { ...seed, corr, ts: BigInt(Date.now()) });
  const reply = await deadline(final, CALL_MS, `intent ${corr} through the bridge`);
  s.counts.intents++;
  return reply;
}

/** The bridge's own request for the seed's body (URL, method, body bytes), so the direct call sends the same. */
const direct = (s: Setup) =>
  intentRequest(intent, s.planner.baseUrl, intent.body.toJSON(intent.body.fromJSON(SEED_ENVELOPE.body)) as { [key: string]: JsonValue });

async function directCall(s: Setup, request: ReturnType<typeof direct>): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (s.token) headers['authorization'] = `Bearer ${await s.token.bearer()}`;
  const response = await deadline(
    fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'error' }),
    CALL_MS,
    'direct planner call',
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`bridge bench: the planner answered the direct call HTTP ${response.status}: ${text.slice(0, 200)}`);
  s.counts.direct++;
  return JSON.parse(text);
}

function bridgeCase(withToken: boolean): BenchCase {
  const setup = bridgeSetup(withToken);
  let request: ReturnType<typeof direct> | undefined;
  const suffix = withToken ? ', bearer token from a GatewayToken (cached)' : '';
  return {
    name: `flex bridge over NM2/UDP: planner.execute envelope → HTTP planner → ack + success${suffix}`,
    latency: true,
    setup: async () => {
      await setup.setup();
      try {
        const s = setup.get();
        request = direct(s);
        // Once before timing: both sides get the seed's answer, and the device hears ack, then success.
        const reply = await sendIntent(s);
        const anchorAnswer = await directCall(s, request);
        if (!isDeepStrictEqual(reply.success?.body, anchorAnswer) || !isDeepStrictEqual(anchorAnswer, PLANNER_RESPONSE))
          throw new Error('bridge bench: the direct call and the bridge did not get the same planner answer');
      } catch (err) {
        // The harness runs teardown only after a setup that succeeded.
        await setup.teardown();
        throw err;
      }
    },
    teardown: setup.teardown,
    fn: async () => {
      await sendIntent(setup.get());
    },
    baseline: {
      name: `the same POST /planner/execute with fetch (same body, keep-alive)${withToken ? ', same bearer token' : ''}`,
      fn: async () => {
        await directCall(setup.get(), request!);
      },
    },
    figures: () => {
      const s = setup.get();
      const seen = s.planner.requests();
      const sent = s.counts.intents + s.counts.direct;
      // Every intent called the planner once (no retry, no refused token) and nothing else called it.
      if (seen !== sent) throw new Error(`bridge bench: the planner saw ${seen} requests for ${s.counts.intents} intents and ${s.counts.direct} direct calls`);
      return {
        // The planner's intent is JSON (no multipart: mapping), so its body is text.
        requestBytes: typeof request!.body === 'string' ? Buffer.byteLength(request!.body) : Number.NaN,
        responseBytes: Buffer.byteLength(JSON.stringify(PLANNER_RESPONSE)),
        acksPerIntent: s.replies.acks / s.counts.intents,
        ...(withToken ? { tokensIssued: s.issued.length } : {}),
      };
    },
  };
}

export const suite: BenchSuite = {
  name: 'bridge',
  cases: () => [bridgeCase(false), bridgeCase(true)],
};

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { loadSchema } from '../../cli/schema-runtime.ts';
import { ALL_CAPABILITIES, NetworkBus, type UmpLink } from '../../runtime/index.ts';
import { transports } from '../../runtime/transports/index.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { loopTransport } from '../helpers/loop-transport.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * The CLI takes URLs through the transport registry: help lists what is registered, and a transport
 * registered by a plug-in is listed and used by the commands as they are (in-process, through main()).
 */

afterAll(removeTempProjects);

/** What a spawned `midl` has registered: the built-in transports (the plug-in below is registered in this process only). */
const builtIn = [...transports.list()];

/** Help wraps lines: compare text with every run of whitespace as one space. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');

describe('midl --help lists the registered transports', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('the program and every command that takes a URL list each scheme with its description and example', async () => {
    const runs = await Promise.all(
      [['--help'], ['peer', '--help'], ['send', '--help'], ['tail', '--help'], ['replay', '--help'], ['call', '--help']].map((args) => runMidl(args)),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const text = flat(r.stdout);
      expect(text).toContain('Transports (URLs of --listen, --to, --from):');
      expect(builtIn.map((t) => t.scheme)).toEqual(['udp', 'mdns', 'rtpmidi', 'midi']);
      for (const t of builtIn) expect(text).toContain(flat(`${t.description}${t.listen === undefined ? ' (connect only)' : ''}; e.g. ${t.example}`));
      expect(text).toMatch(/ udp:\/\/HOST:PORT Network MIDI 2\.0 over UDP /);
      expect(text).toMatch(/ mdns:NAME\[#PIID\] the one Network MIDI 2\.0 endpoint /);
    }
    const [, peer, send, tail, replay, call] = runs.map((r) => flat(r.stdout));
    expect(peer).toContain('--listen <url> where to listen: udp://HOST:PORT or rtpmidi://HOST:PORT or midi:NAME (transports below;');
    for (const text of [send, replay, call])
      expect(text).toContain('--to <url> the peer: udp://HOST:PORT or mdns:NAME[#PIID] or rtpmidi://HOST:PORT or midi:NAME (transports below)');
    expect(tail).toContain('--from <url> the peer: udp://HOST:PORT or mdns:NAME[#PIID] or rtpmidi://HOST:PORT or midi:NAME (transports below)');
  });
});

describe('a transport registered by a plug-in works in the CLI unchanged', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let out = '';
  let err = '';
  afterEach(() => {
    vi.restoreAllMocks();
    out = '';
    err = '';
  });
  const capture = (): void => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
  };

  const loop = loopTransport();
  beforeAll(() => transports.register(loop));

  it('is listed in help, checked as a usage error by its own rules, and carries midl send to a Bus behind it', async () => {
    const { schema } = opsProject();
    const loaded = await loadSchema(schema);
    expect(loaded).toBeDefined();
    const busErrors: string[] = [];
    const authority = new NetworkBus({
      name: 'loop authority',
      topics: loaded!.topics,
      intents: loaded!.intents,
      capabilities: ALL_CAPABILITIES,
      onError: (error, address) => busErrors.push(`${address}: ${String(error)}`),
    });
    const received: unknown[] = [];
    authority.subscribe('**', (value) => {
      received.push(value);
    });
    const listener = await transports.listen('loop:studio', { name: 'loop authority' });
    const sessions: UmpLink[] = [];
    listener.onSession((link) => {
      sessions.push(link);
      authority.accept(link);
    });
    try {
      capture();
      expect(await main(['node', 'midl', '--help'])).toBe(0);
      expect(flat(out)).toContain('loop:NAME in-process links to a listener of that name; e.g. loop:demo');

      expect(await main(['node', 'midl', 'send', '--to', 'loop:studio1', '--topic', 'ops/job', '--json', job(1), '--schema', schema])).toBe(2);
      expect(err).toContain('error: --to: not a loop:NAME address: "loop:studio1"');
      expect(loop.connected).toEqual([]);

      err = '';
      const code = await main([
        'node',
        'midl',
        'send',
        '--to',
        'LOOP:studio',
        '--topic',
        'ops/job',
        '--json',
        job(7, 'via a plug-in'),
        '--schema',
        schema,
        '--name',
        'loop client',
      ]);
      expect(err).toContain('ops/job → LOOP:studio: 1/1 delivered');
      expect(code).toBe(0);
      expect(loop.connected).toEqual([expect.objectContaining({ name: 'loop client', timeoutMs: 5000, discovery: { timeoutMs: 2000 } })]);
      expect(sessions).toHaveLength(1);
      expect(received).toEqual([expect.objectContaining({ n: 7, note: 'via a plug-in' })]);
      expect(stackTraceLines(err)).toEqual([]);
      expect(busErrors).toEqual([]);
    } finally {
      vi.restoreAllMocks();
      await listener.close();
      await authority.close();
    }
  });
});

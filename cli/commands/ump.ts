import type { Command } from 'commander';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import {
  UmpError,
  UmpReader,
  decodePackets,
  encodeEndpointDiscovery,
  encodeJrClock,
  encodeJrTimestamp,
  packEndpointName,
  packFlexText,
  packMds,
  packSysEx7,
  packSysEx8,
  packetWordCount,
  type UmpEvent,
  type UmpPacket,
} from '../../runtime/index.ts';

/** `midl ump pack|unpack|decode`: UMP words in and out of the terminal. */
export function registerUmp(program: Command, setExit: SetExitCode): void {
  const ump = program.command('ump').description('Pack, unpack (reassemble) and decode Universal MIDI Packets');
  registerPack(ump);

  ump
    .command('unpack')
    .description('Reassemble hex words (arguments, or stdin when none) into messages; one JSON object per line')
    .argument('[words...]', '32-bit words as 8 hex digits each')
    .action(async (args: string[]) => {
      const failed = printEvents(await readTokens(args), 'unpack');
      if (failed) setExit(ExitCode.Failure);
    });

  ump
    .command('decode')
    .description('Decode hex words packet by packet, field by field (no reassembly); one JSON object per line')
    .argument('[words...]', '32-bit words as 8 hex digits each')
    .action(async (args: string[]) => {
      const failed = printEvents(await readTokens(args), 'decode');
      if (failed) setExit(ExitCode.Failure);
    });
}

// ---------------------------------------------------------------------------------------------- pack

type Options = Record<string, string | boolean | undefined>;

function registerPack(ump: Command): void {
  const pack = ump.command('pack').description('Encode one message; prints one packet per line, words as 8 uppercase hex digits');

  packCommand(pack, 'sysex8', 'SysEx8 (MT 0x5): raw data bytes, 13 per packet', ['group', 'stream', 'data'], (o) =>
    packSysEx8(hexBytes('--data', o.data), { group: num(o, 'group'), streamId: num(o, 'stream') }),
  );
  packCommand(pack, 'sysex7', 'SysEx7 (MT 0x3): raw 7-bit data bytes, 6 per packet', ['group', 'data'], (o) =>
    packSysEx7(hexBytes('--data', o.data), { group: num(o, 'group') }),
  );
  packCommand(
    pack,
    'flex-text',
    'Flex Data text (MT 0xD), 12 UTF-8 bytes per packet',
    ['group', 'bank', 'status', 'text'],
    (o) => {
      if ((o.channel === undefined) === (o.groupAddressed === undefined)) {
        throw new UsageError('flex-text needs exactly one of --channel <C> or --group-addressed');
      }
      const addressing = o.channel === undefined ? 'group' : 'channel';
      const channel = o.channel === undefined ? 0 : num(o, 'channel');
      return packFlexText(String(o.text), { group: num(o, 'group'), addressing, channel, bank: num(o, 'bank'), status: num(o, 'status') });
    },
    (cmd) => cmd.option('--channel <C>', 'channel-addressed, channel 0..15').option('--group-addressed', 'group-addressed'),
  );
  packCommand(
    pack,
    'mds',
    'Mixed Data Set (MT 0x5): header + payload packets per chunk',
    ['group', 'mds-id', 'manufacturer', 'device', 'sub1', 'sub2', 'data'],
    (o) =>
      packMds(hexBytes('--data', o.data), {
        group: num(o, 'group'),
        mdsId: num(o, 'mdsId'),
        manufacturerId: num(o, 'manufacturer'),
        deviceId: num(o, 'device'),
        subId1: num(o, 'sub1'),
        subId2: num(o, 'sub2'),
      }),
  );
  packCommand(pack, 'jr-timestamp', 'JR Timestamp (MT 0x0), 16-bit value in 32 µs ticks', ['value'], (o) => encodeJrTimestamp(num(o, 'value')));
  packCommand(pack, 'jr-clock', 'JR Clock (MT 0x0), 16-bit value in 32 µs ticks', ['value'], (o) => encodeJrClock(num(o, 'value')));
  packCommand(pack, 'endpoint-name', 'Endpoint Name (MT 0xF), UTF-8, at most 98 bytes', ['name'], (o) => packEndpointName(String(o.name)));
  packCommand(pack, 'endpoint-discovery', 'Endpoint Discovery (MT 0xF)', ['major', 'minor', 'filter'], (o) =>
    encodeEndpointDiscovery({ umpVersionMajor: num(o, 'major'), umpVersionMinor: num(o, 'minor'), filter: num(o, 'filter') }),
  );
}

const OPTION_HELP: Readonly<Record<string, string>> = {
  group: 'group 0..15',
  stream: 'stream id 0..255',
  data: 'data bytes as hex, e.g. 7d0001',
  bank: 'status bank (0x01 metadata text, 0x02 performance text)',
  status: 'status 0..255',
  text: 'UTF-8 text',
  'mds-id': 'MDS id 0..15',
  manufacturer: '16-bit manufacturer id',
  device: '16-bit device id',
  sub1: '16-bit sub id #1',
  sub2: '16-bit sub id #2',
  value: '16-bit value',
  name: 'name text',
  major: 'UMP version major',
  minor: 'UMP version minor',
  filter: 'filter bitmap',
};

function packCommand(
  pack: Command,
  name: string,
  description: string,
  required: readonly string[],
  encode: (o: Options) => Uint32Array,
  extra: (cmd: Command) => Command = (cmd) => cmd,
): void {
  const cmd = pack.command(name).description(`${description}. Numbers: decimal or 0x-hex.`);
  for (const opt of required) {
    const placeholder = opt === 'data' ? 'HEX' : opt === 'text' || opt === 'name' ? 'TEXT' : 'N';
    cmd.requiredOption(`--${opt} <${placeholder}>`, OPTION_HELP[opt] ?? opt);
  }
  extra(cmd).action((o: Options) => {
    let words: Uint32Array;
    try {
      words = encode(o);
    } catch (err) {
      if (err instanceof UmpError) throw new UsageError(err.message);
      throw err;
    }
    process.stdout.write(formatPackets(words));
  });
}

/** One packet per line, each word as 8 uppercase hex digits. */
export function formatPackets(words: Uint32Array): string {
  let text = '';
  for (let i = 0; i < words.length;) {
    const size = packetWordCount(words[i]!);
    const packet = [...words.subarray(i, i + size)].map((w) => w.toString(16).toUpperCase().padStart(8, '0'));
    text += packet.join(' ') + '\n';
    i += size;
  }
  return text;
}

function num(o: Options, key: string): number {
  const raw = o[key];
  const flag = `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
  if (typeof raw !== 'string' || !/^(0x[0-9a-f]+|[0-9]+)$/i.test(raw.trim())) {
    throw new UsageError(`${flag}: expected a decimal or 0x-hex number, got "${String(raw)}"`);
  }
  return Number(raw.trim());
}

function hexBytes(flag: string, raw: string | boolean | undefined): Uint8Array {
  const text = String(raw ?? '')
    .replace(/\s+/g, '')
    .replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})*$/i.test(text)) {
    throw new UsageError(`${flag}: expected hex bytes (an even number of hex digits), got "${String(raw)}"`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------- unpack / decode

interface Token {
  readonly text: string;
  readonly index: number;
}

async function readTokens(args: readonly string[]): Promise<Token[]> {
  let text = args.join(' ');
  if (args.length === 0) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  return text
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t, index) => ({ text: t, index }));
}

type Json = Record<string, unknown>;

/** Characters of output gathered before one write. */
const OUTPUT_BLOCK = 64 * 1024;

/**
 * Prints one JSON line per message / packet / error. Bad tokens are reported and skipped; the words
 * between them are processed as runs. Returns true if any error was printed.
 */
function printEvents(tokens: readonly Token[], mode: 'unpack' | 'decode'): boolean {
  const reader = new UmpReader({ timeoutMs: Infinity });
  let failed = false;
  // Lines go out in blocks: a write per line cost most of the time of a 10 MB input.
  let pending = '';
  const emit = (obj: Json): void => {
    if (obj.kind === 'error') failed = true;
    pending += JSON.stringify(obj) + '\n';
    if (pending.length >= OUTPUT_BLOCK) {
      process.stdout.write(pending);
      pending = '';
    }
  };
  let run: number[] = [];
  let runTokens: number[] = [];
  /** Token index of every word given to the reader so far (its word indexes are global). */
  const readerTokens: number[] = [];
  const flush = (): void => {
    if (mode === 'unpack') {
      // One at a time: a run of 130,000 words spread into push's arguments overflowed the stack.
      for (const t of runTokens) readerTokens.push(t);
      for (const e of reader.push(run)) emit(toJson(e, readerTokens));
    } else {
      for (const p of decodePackets(run)) emit(toJson(p, runTokens));
    }
    run = [];
    runTokens = [];
  };
  for (const t of tokens) {
    if (/^[0-9a-f]{8}$/i.test(t.text)) {
      run.push(parseInt(t.text, 16));
      runTokens.push(t.index);
      continue;
    }
    flush();
    emit({ kind: 'error', code: 'bad-word', reason: `"${t.text}" is not a word of 8 hex digits; skipped`, wordIndex: t.index });
  }
  flush();
  if (mode === 'unpack') for (const e of reader.finish()) emit(toJson(e, readerTokens));
  if (pending) process.stdout.write(pending);
  return failed;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** A message, packet or error as JSON: bytes as lowercase hex, words as 8-digit lowercase hex strings. */
export function toJson(e: UmpEvent | UmpPacket, tokenOf: readonly number[]): Json {
  if (e instanceof UmpError) {
    const obj: Json = { kind: 'error', code: e.code, reason: e.message };
    if (e.wordIndex !== undefined) obj.wordIndex = tokenOf[e.wordIndex] ?? e.wordIndex;
    if (e.messageKind !== undefined) obj.messageKind = e.messageKind;
    if (e.group !== undefined) obj.group = e.group;
    if (e.streamId !== undefined) obj.streamId = e.streamId;
    return obj;
  }
  const obj: Json = {};
  for (const [key, value] of Object.entries(e)) {
    if (value instanceof Uint32Array) obj[key] = [...value].map((w) => w.toString(16).padStart(8, '0'));
    else if (value instanceof Uint8Array) obj[key] = hex(value);
    else obj[key] = value;
  }
  return obj;
}

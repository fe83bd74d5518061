/**
 * The soak: `midl peer` (recording, durable state) and `midl send` processes for a fixed time, under
 * load, datagram loss, duplication and reordering (a seeded relay), kill -9 restarts of the peer and
 * hostile datagrams aimed at it; then every sent line is checked in the recording: exactly-once lines
 * exactly once, at-least-once lines at least once, nothing that was never sent, and the peer's memory
 * within its bound. Not part of `npm test`; `.ci/run` runs it briefly (`npm run soak -- --seconds 20`).
 *
 *   node --import tsx tests/soak/soak.ts [--seconds 60] [--seed 1] [--keep]
 *
 * Each round sends a batch of new lines and re-sends what `send --failed` wrote until every line of
 * the batch was acknowledged, as an operator would; an exactly-once batch is then sent once more as a
 * whole, which must leave the recording as it was. Exits 1 with the violations listed, 0 otherwise;
 * the last line is the summary.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runMidl, stackTraceLines } from '../helpers/cli.ts';
import { startMidl, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';
import { mulberry32, startRelay } from '../helpers/udp-relay.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1000' },
    'restart-every': { type: 'string', default: '7' },
    'max-rss-mib': { type: 'string', default: '400' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const seed = Number(args.seed);
const batchSize = Number(args.batch);
const restartEveryMs = Number(args['restart-every']) * 1000;
const maxRssMiB = Number(args['max-rss-mib']);
for (const [name, v] of Object.entries({ seconds, seed, batch: batchSize, 'restart-every': restartEveryMs, 'max-rss-mib': maxRssMiB })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}

const { dir, schema } = opsProject();
const record = join(dir, 'rec.jsonl');
const state = join(dir, 'state');
mkdirSync(state);
const violations: string[] = [];
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

// ── the peer, restarted with kill -9 on the same port, state and recording ─────────────────────
const port = await freeUdpPort();
let peer: MidlProcess | undefined;
let restarts = 0;
let maxRssKiB = 0;

async function startPeer(): Promise<void> {
  peer = startMidl(['peer', '--listen', `udp://127.0.0.1:${port}`, '--schema', schema, '--record', record, '--state', state]);
  await peer.waitFor(/listening on/, 60_000);
}

function sampleRss(): void {
  const pid = peer?.child.pid;
  if (pid === undefined) return;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) maxRssKiB = Math.max(maxRssKiB, Number(m[1]));
  } catch {
    // The process is between a kill and its restart: nothing to sample.
  }
}

// ── hostile datagrams straight at the peer (not through the relay) ──────────────────────────────
const random = mulberry32(seed ^ 0x5eed);
const hostile: Socket[] = [];
let hostileSent = 0;
function hostileDatagram(): Buffer {
  const kind = Math.floor(random() * 4);
  const words = 1 + Math.floor(random() * 64);
  const b = Buffer.alloc(4 + 4 * words);
  b.write('MIDI', 0, 'latin1');
  for (let i = 4; i < b.length; i++) b[i] = Math.floor(random() * 256);
  // Plausible command headers: UMP Data (0xFF), Retransmit Request (0x81), Session Reset (0x82), random.
  if (kind < 3) b[4] = [0xff, 0x81, 0x82][kind]!;
  if (kind < 3) b[5] = words - 1;
  return kind === 3 && random() < 0.5 ? b.subarray(4) : b;
}
for (let i = 0; i < 2; i++) {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  hostile.push(s);
}
const flood = setInterval(() => {
  for (const s of hostile)
    for (let i = 0; i < 10; i++) {
      s.send(hostileDatagram(), port, '127.0.0.1');
      hostileSent++;
    }
}, 50);

// ── the run ─────────────────────────────────────────────────────────────────────────────────────
await startPeer();
const relay = await startRelay({ target: { host: '127.0.0.1', port }, seed, loss: 0.03, duplicate: 0.02, reorder: 0.02, maxDelayMs: 10 });
const via = `udp://127.0.0.1:${relay.port}`;
const rss = setInterval(sampleRss, 250);
/** The restart under way, if any (the loop must not end while the peer is down). */
let restarting: Promise<void> | undefined;
const restarter = setInterval(() => {
  if (restarting || !peer) return;
  const old = peer;
  restarting = old
    .stop('SIGKILL')
    .then(startPeer)
    .then(() => {
      restarts++;
      log(`restart ${restarts}: peer killed with SIGKILL and started again`);
    })
    .catch((err: unknown) => {
      violations.push(`the peer did not restart: ${String(err)}`);
    })
    .finally(() => (restarting = undefined));
}, restartEveryMs);

const sent = { exactlyOnce: new Set<number>(), atLeastOnce: new Set<number>() };
const deadline = performance.now() + seconds * 1000;
let next = 0;
let rounds = 0;
let resends = 0;

/** Sends `file` on `topic` until `send` reports every line delivered (re-sending what --failed wrote); false when it gave up. */
async function sendUntilDelivered(topic: string, file: string): Promise<boolean> {
  let pending = file;
  for (let attempt = 0; attempt < 40; attempt++) {
    const failed = `${file}.failed.${attempt}`;
    const r = await runMidl(['send', '--to', via, '--topic', topic, '--file', pending, '--schema', schema, '--failed', failed, '--rate', '1000']);
    if (stackTraceLines(r.stderr).length > 0) violations.push(`send printed a stack trace:\n${r.stderr.slice(-800)}`);
    if (r.code === 0) return true;
    if (!existsSync(failed) || readFileSync(failed, 'utf8').trim() === '') {
      violations.push(`send exited ${String(r.code)} without writing the lines it did not deliver to ${failed}:\n${r.stderr.slice(-800)}`);
      return false;
    }
    resends++;
    pending = failed;
    // The peer may be restarting: give it a moment before the next attempt.
    await new Promise((r2) => setTimeout(r2, 300));
  }
  violations.push(`${file}: still not delivered after 40 attempts`);
  return false;
}

while (performance.now() < deadline && violations.length === 0) {
  rounds++;
  const numbers = Array.from({ length: batchSize }, () => next++);
  const file = join(dir, `batch-${rounds}.jsonl`);
  writeFileSync(file, numbers.map((n) => job(n)).join('\n') + '\n');
  // Even rounds on the exactly-once topic, odd ones on the at-least-once one.
  const exactly = rounds % 2 === 0;
  let ok = await sendUntilDelivered(exactly ? 'ops/job' : 'ops/event/soak', file);
  // An operator unsure what arrived sends an exactly-once file again as a whole: it must change nothing.
  if (ok && exactly) ok = await sendUntilDelivered('ops/job', file);
  if (ok) for (const n of numbers) (exactly ? sent.exactlyOnce : sent.atLeastOnce).add(n);
}

clearInterval(restarter);
await restarting;
clearInterval(flood);
clearInterval(rss);
sampleRss();
const code = await peer?.stop('SIGTERM');
if (code !== 0) violations.push(`the peer exited ${String(code)} on SIGTERM:\n${peer?.stderr().slice(-800) ?? ''}`);
await relay.close();
for (const s of hostile) s.close();

// ── the verdict ─────────────────────────────────────────────────────────────────────────────────
const seen = { exactlyOnce: new Map<number, number>(), atLeastOnce: new Map<number, number>() };
for (const line of readFileSync(record, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const m = JSON.parse(line) as { topic: string; value: { n: number } };
  const into = m.topic === 'ops/job' ? seen.exactlyOnce : m.topic === 'ops/event/{kind}' ? seen.atLeastOnce : undefined;
  if (!into) continue;
  into.set(m.value.n, (into.get(m.value.n) ?? 0) + 1);
}
const missing = (want: Set<number>, got: Map<number, number>) => [...want].filter((n) => !got.has(n));
const lostOnce = missing(sent.exactlyOnce, seen.exactlyOnce);
const lostLeast = missing(sent.atLeastOnce, seen.atLeastOnce);
const twice = [...seen.exactlyOnce].filter(([, c]) => c > 1).map(([n]) => n);
const never = [...seen.exactlyOnce.keys(), ...seen.atLeastOnce.keys()].filter((n) => n < 0 || n >= next);
if (lostOnce.length > 0) violations.push(`${lostOnce.length} exactly-once lines acknowledged but not recorded, e.g. ${lostOnce.slice(0, 10).join(', ')}`);
if (lostLeast.length > 0) violations.push(`${lostLeast.length} at-least-once lines acknowledged but not recorded, e.g. ${lostLeast.slice(0, 10).join(', ')}`);
if (twice.length > 0) violations.push(`${twice.length} exactly-once lines recorded more than once, e.g. ${twice.slice(0, 10).join(', ')}`);
if (never.length > 0) violations.push(`${never.length} recorded lines were never sent`);
if (restarts === 0 && seconds * 1000 > restartEveryMs) violations.push('the peer was never restarted');
if (maxRssKiB / 1024 > maxRssMiB) violations.push(`the peer's RSS reached ${(maxRssKiB / 1024).toFixed(0)} MiB (bound ${maxRssMiB} MiB)`);

for (const v of violations) log(`VIOLATION: ${v}`);
const total = sent.exactlyOnce.size + sent.atLeastOnce.size;
process.stdout.write(
  `soak ${violations.length === 0 ? 'ok' : 'FAILED'}: ${total} lines in ${rounds} rounds (${sent.exactlyOnce.size} exactly-once, ${sent.atLeastOnce.size} at-least-once), ` +
    `${resends} re-sends of failed lines, ${restarts} kill -9 restarts, ${hostileSent} hostile datagrams, relay ${JSON.stringify(relay.stats())}, ` +
    `peer max RSS ${(maxRssKiB / 1024).toFixed(0)} MiB\n`,
);
if (args.keep) log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
process.exit(violations.length === 0 ? 0 : 1);

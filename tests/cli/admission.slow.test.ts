import { boundSocket } from '../helpers/udp-port.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Issue 10's fourth attack against a real `midl peer --secret`: 16 sockets that re-invite every 150 ms
 * (they do not know the secret) must not keep a `midl send` that knows it out. On the old code they
 * held every session slot and `send` failed with "too many sessions".
 */
const { dir, schema } = opsProject();
afterEach(() => killAll());
afterAll(() => removeTempProjects());

/** Invitation "flood"/"f1" with capability bit0 (can authenticate). */
const INVITATION = Buffer.concat([
  Buffer.from([0x4d, 0x49, 0x44, 0x49, 0x01, 0x02, 0x02, 0x01]),
  Buffer.from('flood\0\0\0', 'utf8'),
  Buffer.from('f1\0\0', 'utf8'),
]);

describe('midl peer --secret under an invitation flood', () => {
  it('16 sockets re-inviting every 150 ms: a send with the secret delivers every line', async () => {
    const secret = join(dir, 'hunter2.secret');
    writeFileSync(secret, 'hunter2\n', { mode: 0o600 });
    const peer = await startPeer(['--schema', schema, '--secret-file', secret]);
    const attackers = await Promise.all(Array.from({ length: 16 }, () => boundSocket()));
    const answers: Buffer[] = [];
    for (const a of attackers) a.on('message', (m) => answers.push(m));
    const invite = () => {
      for (const a of attackers) a.send(INVITATION, peer.port, '127.0.0.1');
    };
    invite();
    const timer = setInterval(invite, 150);
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // the flood is established before the client comes
      const file = join(dir, 'jobs.jsonl');
      writeFileSync(file, Array.from({ length: 50 }, (_, i) => job(i)).join('\n') + '\n');
      const sent = await runMidl(['send', '--to', peer.url, '--secret-file', secret, '--topic', 'ops/job', '--file', file, '--schema', schema], {
        timeoutMs: 30_000,
      });
      expect(sent.stderr).toMatch(/50\/50 delivered/);
      expect(sent.code).toBe(0);
      await peer.waitForLines(50, 10_000);
    } finally {
      clearInterval(timer);
    }
    // The flood got challenges only: never an Accepted (0x10) nor a session.
    expect(answers.length).toBeGreaterThan(16);
    expect(answers.every((m) => m.readUInt8(4) === 0x12)).toBe(true);
    for (const a of attackers) a.close();
    expect(await peer.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([]);
  }, 60_000);
});

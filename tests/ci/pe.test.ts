// Property Exchange: header JSON, body encodings, chunking to a max SysEx size and bounded reassembly.
import fc from 'fast-check';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CiError,
  PE_OVERHEAD_BYTES,
  PeReassembler,
  PeStatus,
  chunkPeMessage,
  decodeCiMessage,
  decodePeBody,
  encodeAsciiJson,
  encodeCiMessage,
  encodePeBody,
  encodePeHeader,
  escapeJsonAscii,
  frameSysEx,
  parsePeHeader,
  type CiPeMessage,
  type PeComplete,
  type PePending,
} from '../../runtime/ci/index.ts';
import { decodeMcoded7, encodeMcoded7 } from '../../runtime/index.ts';
import { ascii } from './helpers.ts';

const te = new TextEncoder();
const bytesOf = (s: string) => Uint8Array.from(ascii(s));

function chunk(over: Partial<CiPeMessage> = {}): CiPeMessage {
  return {
    kind: 'pe-get-reply',
    deviceId: 0x7f,
    version: 2,
    source: 7,
    destination: 9,
    requestId: 1,
    header: new Uint8Array(0),
    numChunks: 3,
    thisChunk: 1,
    body: Uint8Array.of(1, 2, 3),
    ...over,
  };
}

function errorOf(r: PeComplete | PePending | CiError): CiError {
  if (!(r instanceof CiError)) throw new Error(`expected a CiError, got ${r.status}`);
  return r;
}

describe('PE header JSON', () => {
  it('escapes non-ASCII as \\uXXXX (surrogate pairs as two escapes) and parses back to the same value', () => {
    expect(escapeJsonAscii('{"a":"é🎹"}')).toBe('{"a":"\\u00e9\\ud83c\\udfb9"}');
    const value = { name: 'Grüße 🎹', n: [1, 2], nested: { ok: true } };
    const bytes = encodeAsciiJson(value);
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(value);
  });

  it('reads a header and keeps keys it does not know', () => {
    const h = parsePeHeader(
      encodePeHeader({ resource: 'X-MidlSchema', resId: 'ü', status: PeStatus.Ok, mutualEncoding: 'zlib+Mcoded7', offset: 0, limit: 10, vendor: { x: 1 } }),
    );
    expect(h).toEqual({ resource: 'X-MidlSchema', resId: 'ü', status: 200, mutualEncoding: 'zlib+Mcoded7', offset: 0, limit: 10, vendor: { x: 1 } });
  });

  it('refuses hostile or ill-typed headers with a typed error', () => {
    const cases: [Uint8Array, string, number?][] = [
      [Uint8Array.of(0x7b, 0xc3, 0xa9, 0x7d), 'not-7bit', 1],
      [bytesOf('{"resource":'), 'bad-body'],
      [bytesOf('[1]'), 'bad-body'],
      [bytesOf('{"status":"200"}'), 'bad-field'],
      [bytesOf('{"mutualEncoding":"gzip"}'), 'bad-field'],
      [bytesOf('{"command":"stop"}'), 'bad-field'],
      [bytesOf('{"offset":-1}'), 'bad-field'],
      [bytesOf('{"resource":"a","resource":"b"}'), 'bad-body'],
      [bytesOf('{"__proto__":{}}'), 'bad-body'],
      [bytesOf(`{"a":${'['.repeat(20)}${']'.repeat(20)}}`), 'bad-body'],
      [new Uint8Array(0x4000).fill(0x20), 'too-large'],
    ];
    for (const [bytes, code, offset] of cases) {
      const r = parsePeHeader(bytes);
      expect(r, new TextDecoder().decode(bytes.subarray(0, 40))).toBeInstanceOf(CiError);
      expect((r as CiError).code).toBe(code);
      if (offset !== undefined) expect((r as CiError).offset).toBe(offset);
      expect((r as CiError).offset).toBeLessThanOrEqual(bytes.length);
    }
    expect(() => encodePeHeader({ status: 2.5 })).toThrow(/status/);
    expect(() => encodePeHeader({ resource: 'x'.repeat(0x4000) })).toThrow(/exceeds 16383/);
  });
});

describe('PE body encodings', () => {
  const data = te.encode('{"name":"Grüße","bytes":[0,255]}');

  it('round-trips Mcoded7 and zlib+Mcoded7, and ASCII for 7-bit data', async () => {
    for (const enc of ['Mcoded7', 'zlib+Mcoded7'] as const) {
      const wire = await encodePeBody(data, enc);
      expect(wire.every((b) => b < 0x80)).toBe(true);
      expect(await decodePeBody(wire, enc)).toEqual(data);
    }
    const asciiBody = encodeAsciiJson({ name: 'Grüße' });
    expect(await decodePeBody(await encodePeBody(asciiBody, 'ASCII'), 'ASCII')).toEqual(asciiBody);
    await expect(encodePeBody(data, 'ASCII')).rejects.toThrow(/7-bit/);
  });

  it('zlib+Mcoded7 is zlib (RFC 1950) as node:zlib reads and writes it', async () => {
    expect(await encodePeBody(new Uint8Array(0), 'Mcoded7')).toHaveLength(0);
    expect(await decodePeBody(encodeMcoded7(deflateSync(data)), 'zlib+Mcoded7')).toEqual(data);
    expect(new Uint8Array(inflateSync(decodeMcoded7(await encodePeBody(data, 'zlib+Mcoded7'))))).toEqual(data);
  });

  it('refuses bodies that do not decode, and stops inflating at maxBytes', async () => {
    expect(await decodePeBody(Uint8Array.of(0x7f, 1), 'Mcoded7')).toMatchObject({ code: 'bad-body' });
    expect(await decodePeBody(await encodePeBody(Uint8Array.of(1, 2, 3, 4), 'Mcoded7'), 'zlib+Mcoded7')).toMatchObject({ code: 'bad-body' });
    expect(await decodePeBody(Uint8Array.of(0x41, 0x80), 'ASCII')).toMatchObject({ code: 'not-7bit', offset: 1 });
    const z = deflateSync(data);
    expect(await decodePeBody(encodeMcoded7(z.subarray(0, z.length - 3)), 'zlib+Mcoded7')).toMatchObject({ code: 'bad-body', message: /does not inflate/ });
    // 256 KiB of zeros deflates to a few hundred bytes: a receiver with a 16 KiB bound must refuse it, not inflate it all.
    const bomb = await encodePeBody(new Uint8Array(1 << 18), 'zlib+Mcoded7');
    expect(bomb.length).toBeLessThan(1024);
    expect(await decodePeBody(bomb, 'zlib+Mcoded7', 16_384)).toMatchObject({ code: 'too-large' });
    expect(await decodePeBody(bomb, 'wat' as never)).toMatchObject({ code: 'bad-field' });
  });
});

describe('PE chunking', () => {
  const header = encodePeHeader({ status: 200 });

  it('fits every chunk (F0 … F7 counted) in the max SysEx size, header in the first chunk only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400, max: 0x7f }), fc.integer({ min: PE_OVERHEAD_BYTES + header.length + 1, max: 300 }), (body, max) => {
        const chunks = chunkPeMessage({ kind: 'pe-get-reply', source: 1, destination: 2, requestId: 5, header, body }, max);
        expect(chunks[0]!.header).toEqual(header);
        let joined: number[] = [];
        chunks.forEach((c, i) => {
          expect(frameSysEx(encodeCiMessage(c)).length).toBeLessThanOrEqual(max);
          expect(c).toMatchObject({ numChunks: chunks.length, thisChunk: i + 1, deviceId: 0x7f, version: 2 });
          if (i > 0) expect(c.header).toHaveLength(0);
          if (body.length > 0) expect(c.body.length).toBeGreaterThan(0);
          joined = joined.concat(Array.from(c.body));
        });
        expect(Uint8Array.from(joined)).toEqual(body);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a max SysEx size the header does not fit, or a body that needs more than 16383 chunks', () => {
    expect(() =>
      chunkPeMessage({ kind: 'pe-get-reply', source: 1, destination: 2, requestId: 5, header, body: Uint8Array.of(1) }, PE_OVERHEAD_BYTES + header.length),
    ).toThrow(/no room for body bytes/);
    expect(() => chunkPeMessage({ kind: 'pe-get', source: 1, destination: 2, requestId: 5, header, body: new Uint8Array(0) }, 10)).toThrow(/does not fit/);
    const huge = { kind: 'pe-get-reply', source: 1, destination: 2, requestId: 5, header, body: new Uint8Array(1 << 20) } as const;
    // 8 body bytes in chunk 1, 22 in each later one: 1 + ⌈(1048576 − 8) / 22⌉ = 47664 chunks.
    expect(() => chunkPeMessage(huge, PE_OVERHEAD_BYTES + header.length + 8)).toThrow(/needs 47664 chunks .* at most 16383/);
  });
});

describe('PE reassembly', () => {
  it('a multi-chunk ASCII body with \\u escapes survives chunk → SysEx → decode → reassemble → JSON.parse', async () => {
    const doc = { title: 'Schéma ✓', notes: Array.from({ length: 30 }, (_, i) => `naïve ${i} 🎹`) };
    const body = encodeAsciiJson(doc);
    const chunks = chunkPeMessage(
      { kind: 'pe-get-reply', source: 0x1234, destination: 0x5678, requestId: 9, header: encodePeHeader({ status: 200 }), body },
      128,
    );
    expect(chunks.length).toBeGreaterThan(5);
    const r = new PeReassembler();
    let done: PeComplete | undefined;
    for (const c of chunks) {
      const m = decodeCiMessage(frameSysEx(encodeCiMessage(c)));
      if (m instanceof CiError || m.kind !== 'pe-get-reply') throw new Error('chunk did not decode');
      const out = r.accept(m);
      if (out instanceof CiError) throw out;
      if (out.status === 'complete') done = out;
    }
    expect(done).toBeDefined();
    expect(parsePeHeader(done!.header)).toEqual({ status: 200 });
    const decoded = await decodePeBody(done!.body, 'ASCII');
    if (decoded instanceof CiError) throw decoded;
    expect(JSON.parse(new TextDecoder().decode(decoded))).toEqual(doc);
    expect(r.openCount).toBe(0);
    expect(r.heldBytes).toBe(0);
  });

  it('refuses out-of-order, duplicate and inconsistent chunks, dropping the partial request', () => {
    const r = new PeReassembler();
    expect(errorOf(r.accept(chunk({ thisChunk: 2 })))).toMatchObject({ code: 'out-of-order', key: '7:1' });
    expect(r.accept(chunk())).toMatchObject({ status: 'pending', received: 1 });
    expect(errorOf(r.accept(chunk({ thisChunk: 3 })))).toMatchObject({ code: 'out-of-order' });
    expect(r.openCount).toBe(0);

    const steps: [Partial<CiPeMessage>, string][] = [
      [{ thisChunk: 1 }, 'duplicate-chunk'],
      [{ thisChunk: 2, numChunks: 4 }, 'chunk-inconsistent'],
      [{ thisChunk: 2, kind: 'pe-set' }, 'chunk-inconsistent'],
      [{ thisChunk: 2, header: bytesOf('{}') }, 'chunk-inconsistent'],
      [{ thisChunk: 4 }, 'bad-field'],
      [{ thisChunk: 0 }, 'bad-field'],
      [{ numChunks: 0, thisChunk: 0 }, 'bad-field'],
    ];
    for (const [over, code] of steps) {
      expect(r.accept(chunk())).toMatchObject({ status: 'pending' });
      expect(errorOf(r.accept(chunk(over))).code, JSON.stringify(over)).toBe(code);
      expect(r.openCount).toBe(0);
      expect(r.heldBytes).toBe(0);
    }
  });

  it('keeps requests apart by source MUID and request id', () => {
    const r = new PeReassembler();
    expect(r.accept(chunk({ requestId: 1 }))).toMatchObject({ status: 'pending' });
    expect(r.accept(chunk({ requestId: 2 }))).toMatchObject({ status: 'pending' });
    expect(r.accept(chunk({ source: 8, requestId: 1 }))).toMatchObject({ status: 'pending' });
    expect(r.openCount).toBe(3);
    expect(r.accept(chunk({ requestId: 2, thisChunk: 2 }))).toMatchObject({ status: 'pending', received: 2 });
    expect(r.accept(chunk({ requestId: 2, thisChunk: 3, body: Uint8Array.of(9) }))).toMatchObject({
      status: 'complete',
      key: '7:2',
      body: Uint8Array.of(1, 2, 3, 1, 2, 3, 9),
    });
  });

  it('bounds open requests, chunks, bytes per request and bytes held', () => {
    const r = new PeReassembler({ maxOpen: 2, maxChunks: 8, maxBodyBytes: 7, maxTotalBytes: 8 });
    expect(r.accept(chunk({ requestId: 1 }))).toMatchObject({ status: 'pending' });
    expect(r.accept(chunk({ requestId: 2 }))).toMatchObject({ status: 'pending' });
    expect(errorOf(r.accept(chunk({ requestId: 3 })))).toMatchObject({ code: 'too-many-open' });
    expect(errorOf(r.accept(chunk({ requestId: 1, thisChunk: 2 })))).toMatchObject({ code: 'too-large' }); // 9 bytes held > 8
    expect(r.heldBytes).toBe(3);
    expect(errorOf(r.accept(chunk({ requestId: 4, numChunks: 9 })))).toMatchObject({ code: 'too-large' });
    expect(errorOf(r.accept(chunk({ requestId: 5, numChunks: 1, body: new Uint8Array(8) })))).toMatchObject({ code: 'too-large' });
    expect(r.accept(chunk({ requestId: 2, thisChunk: 2 }))).toMatchObject({ status: 'pending' });
    expect(errorOf(r.accept(chunk({ requestId: 2, thisChunk: 3 })))).toMatchObject({ code: 'too-large' }); // 9 > maxBodyBytes 7
    expect(r.openCount).toBe(0);
    expect(() => new PeReassembler({ maxOpen: 0 })).toThrow(/maxOpen must be a positive integer/);
  });

  it('times partial requests out by the injected clock', () => {
    let now = 1000;
    const r = new PeReassembler({ timeoutMs: 500, now: () => now });
    expect(r.accept(chunk({ requestId: 1 }))).toMatchObject({ status: 'pending' });
    expect(r.accept(chunk({ requestId: 2 }))).toMatchObject({ status: 'pending' });
    now = 1400;
    expect(r.accept(chunk({ requestId: 2, thisChunk: 2 }))).toMatchObject({ status: 'pending' }); // deadline moves to 1900
    expect(r.expire()).toEqual([]);
    now = 1500;
    const expired = r.expire();
    expect(expired.map((e) => [e.code, e.key])).toEqual([['timeout', '7:1']]);
    now = 1900;
    // Request 2 is past its deadline: dropped on arrival of its next chunk, which then has no chunk 1.
    expect(errorOf(r.accept(chunk({ requestId: 2, thisChunk: 3 })))).toMatchObject({ code: 'out-of-order' });
    expect(r.timedOut).toBe(2);
    expect(r.openCount).toBe(0);
  });

  it('random chunk streams never take it past its limits', () => {
    const limits = { maxOpen: 3, maxChunks: 5, maxBodyBytes: 40, maxTotalBytes: 60 };
    const arb = fc.array(
      fc.record({
        source: fc.integer({ min: 0, max: 3 }),
        requestId: fc.integer({ min: 0, max: 3 }),
        numChunks: fc.integer({ min: 0, max: 7 }),
        thisChunk: fc.integer({ min: 0, max: 7 }),
        n: fc.integer({ min: 0, max: 30 }),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (steps) => {
        const r = new PeReassembler(limits);
        for (const s of steps) {
          const out = r.accept(chunk({ source: s.source, requestId: s.requestId, numChunks: s.numChunks, thisChunk: s.thisChunk, body: new Uint8Array(s.n) }));
          if (!(out instanceof CiError) && out.status === 'complete') expect(out.body.length).toBeLessThanOrEqual(limits.maxBodyBytes);
          expect(r.openCount).toBeLessThanOrEqual(limits.maxOpen);
          expect(r.heldBytes).toBeLessThanOrEqual(limits.maxTotalBytes);
        }
      }),
      { numRuns: 60 },
    );
  });
});

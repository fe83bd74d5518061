import { CiError, decodeCiMessage, type CiMessage } from '../../runtime/ci/index.ts';

/** Bytes from hex pairs and ASCII text: `sysex('7E 7F 0D', ascii('ok'), '00')`. */
export function sysex(...parts: (string | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string')
      out.push(
        ...p
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map((h) => parseInt(h, 16)),
      );
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

export function ascii(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
  return out;
}

export function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Decodes and fails the test with the error's message if the bytes do not decode. */
export function decodeOk(bytes: Uint8Array): CiMessage {
  const m = decodeCiMessage(bytes);
  if (m instanceof CiError) throw new Error(`expected a message, got ${m.code}: ${m.message}`);
  return m;
}

export function decodeErr(bytes: Uint8Array): CiError {
  const m = decodeCiMessage(bytes);
  if (!(m instanceof CiError)) throw new Error(`expected a CiError, got a ${m.kind}`);
  return m;
}

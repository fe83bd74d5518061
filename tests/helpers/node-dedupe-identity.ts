import { createHash } from 'node:crypto';

/**
 * A keyed publication's dedupe identity as node:crypto computes it: SHA-256 over the sender, address,
 * key and payload, each prefixed by its byte length (u32 big-endian), as 32 hex digits. Identities are
 * persisted in `--state` journals and recordings, so the runtime's own digest must keep giving this.
 */
export function nodeDedupeIdentity(sender: string, address: string, key: bigint, payload: Uint8Array): string {
  const h = createHash('sha256');
  const part = (bytes: Uint8Array): void => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(bytes.length);
    h.update(prefix).update(bytes);
  };
  for (const text of [sender, address, key.toString()]) part(Buffer.from(text, 'utf8'));
  part(payload);
  return h.digest('hex').slice(0, 32);
}

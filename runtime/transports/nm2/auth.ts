/**
 * Shared-secret authentication of Network MIDI 2.0 invitations: the invitee sends a fresh 16-byte
 * nonce, the initiator answers SHA-256(nonce ‖ secret) (amidi2net `auth.c`, Workbench `UMPudp.js`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DIGEST_BYTES, NONCE_BYTES } from './commands.ts';

/** A fresh random nonce; never reused, so a recorded digest cannot be replayed. */
export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** SHA-256(nonce ‖ UTF-8 secret). */
export function authDigest(nonce: Uint8Array, secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(nonce).update(secret, 'utf8').digest());
}

/** Whether `digest` answers `nonce` for `secret`, compared in constant time. */
export function digestMatches(nonce: Uint8Array, secret: string, digest: Uint8Array): boolean {
  if (digest.length !== DIGEST_BYTES) return false;
  return timingSafeEqual(authDigest(nonce, secret), digest);
}

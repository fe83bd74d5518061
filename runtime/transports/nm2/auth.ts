/**
 * The digests of Network MIDI 2.0 invitations: the invitee sends a fresh 16-byte nonce, the initiator
 * answers SHA-256(nonce ‖ secret) for shared-secret authentication (0x02) or SHA-256(nonce ‖ user name ‖
 * password) for user authentication (0x03), strings as UTF-8 with no separator or terminator (amidi2net
 * `auth.c`, Workbench `UMPudp.js`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DIGEST_BYTES } from './commands.ts';

/** SHA-256(nonce ‖ UTF-8 secret). */
export function authDigest(nonce: Uint8Array, secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(nonce).update(secret, 'utf8').digest());
}

/** Whether `digest` answers `nonce` for `secret`, compared in constant time. */
export function digestMatches(nonce: Uint8Array, secret: string, digest: Uint8Array): boolean {
  if (digest.length !== DIGEST_BYTES) return false;
  return timingSafeEqual(authDigest(nonce, secret), digest);
}

/** SHA-256(nonce ‖ UTF-8 user name ‖ UTF-8 password). */
export function userAuthDigest(nonce: Uint8Array, user: string, password: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(nonce).update(user, 'utf8').update(password, 'utf8').digest());
}

/** Whether `digest` answers `nonce` for `user` with `password`, compared in constant time. */
export function userDigestMatches(nonce: Uint8Array, user: string, password: string, digest: Uint8Array): boolean {
  if (digest.length !== DIGEST_BYTES) return false;
  return timingSafeEqual(userAuthDigest(nonce, user, password), digest);
}

/**
 * The optimistic version of a stored document, taken from its bytes: the disk and HTTP backends keep no
 * version beside the document (FountainKit's ingester sees only documents; FountainStore's HTTP API does
 * not persist one), and the same document gets the same version in every such backend.
 */
import { createSha256 } from '../bus/sha256.ts';

/** Hex digits kept of the SHA-256: 128 bits, so two different documents never share a version in practice. */
const VERSION_HEX_DIGITS = 32;

export function contentVersion(bytes: Uint8Array): string {
  const digest = createSha256().update(bytes).digest();
  let hex = '';
  for (const byte of digest.subarray(0, VERSION_HEX_DIGITS / 2)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

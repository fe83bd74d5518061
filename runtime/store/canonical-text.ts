/** A value's canonical JSON for a backend to store, with a value too deep to serialize refused as a StoreError. */
import type { JsonValue } from '../codec/index.ts';
import { canonicalJson, StoreError } from './backend.ts';

/** canonicalJson(value), or `too-large` naming `where` when the value nests deeper than the stack allows (or refers to itself). */
export function storableJson(value: JsonValue, where: string): string {
  try {
    return canonicalJson(value);
  } catch (error) {
    if (error instanceof RangeError) throw new StoreError('too-large', `${where}: nested too deeply to store (or cyclic)`, { cause: error });
    throw error;
  }
}

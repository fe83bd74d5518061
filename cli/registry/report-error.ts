import { StoreError } from '../../runtime/store/index.ts';
import { ForeignFilesError } from '../../compiler/index.ts';
import { RegistryError } from './errors.ts';

/**
 * Prints a registry, store or output-directory failure as `error[code]: …` (and `help: …`) without a
 * stack, and returns true; returns false for anything else, which the caller rethrows.
 */
export function reportRegistryFailure(err: unknown): boolean {
  if (err instanceof RegistryError) {
    process.stderr.write(`error[${err.code}]: ${err.message}\n${err.help ? `help: ${err.help}\n` : ''}`);
    return true;
  }
  if (err instanceof StoreError) {
    process.stderr.write(`error[store ${err.code}]: ${err.message}\n`);
    return true;
  }
  if (err instanceof ForeignFilesError) {
    process.stderr.write(`error: ${err.message}\n`);
    return true;
  }
  return false;
}

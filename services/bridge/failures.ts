import { FlexError, type FlexFailure } from '../../generated/index.ts';

/** A FlexFailure of `name` from the schema's FlexError set, with a short human label for device displays. */
export function flexFailure(name: FlexError, label: string, extra: Partial<Pick<FlexFailure, 'httpStatus' | 'detail' | 'retryAfterMs'>> = {}): FlexFailure {
  // A device display shows `message`; 1024 is the schema's bound on it.
  const message = label.length > 1024 ? `${label.slice(0, 1021)}...` : label;
  return { code: FlexError[name], kind: name.toLowerCase(), message, ...extra };
}

const NAMES = new Map<number, FlexError>(Object.entries(FlexError).map(([name, code]) => [code, name as FlexError]));

/** The FlexError member of `code` (undefined for a code outside the set). */
export function flexErrorName(code: number): FlexError | undefined {
  return NAMES.get(code);
}

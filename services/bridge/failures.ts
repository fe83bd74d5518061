import { FlexError, type FlexFailure } from '../../generated/index.ts';

/** A FlexFailure of `name` from the schema's FlexError set, with a short human label for device displays. */
export function flexFailure(name: FlexError, label: string, extra: Partial<Pick<FlexFailure, 'httpStatus' | 'detail' | 'retryAfterMs'>> = {}): FlexFailure {
  // A device display shows `message`; 1024 is the schema's bound on it.
  const message = label.length > 1024 ? `${label.slice(0, 1021)}...` : label;
  return { code: FlexError[name], kind: name.toLowerCase(), message, ...extra };
}

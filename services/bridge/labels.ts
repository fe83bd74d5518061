import type { FlexFailure, FlexSuccess } from '../../generated/index.ts';

/** FlexReply.label's bound: what a small device display shows on one line. */
export const LABEL_MAX = 32;

/** The short human label of a reply: "ack planner.execute", "planner 2.1 s", "OK 200", "ERR timeout" (the upstream_ of a kind left out). */
export function replyLabel(
  reply: { readonly ack: boolean; readonly success?: FlexSuccess; readonly error?: FlexFailure; readonly progress?: unknown },
  context: { readonly intent?: string; readonly service?: string; readonly elapsedMs?: number },
): string {
  if (reply.success) return fit(`OK ${reply.success.status}`);
  if (reply.error)
    return fit(reply.error.httpStatus !== undefined ? `ERR HTTP ${reply.error.httpStatus}` : `ERR ${reply.error.kind.replace(/^upstream_/, '')}`);
  if (reply.progress) return fit(`${context.service ?? context.intent ?? 'call'} ${((context.elapsedMs ?? 0) / 1000).toFixed(1)} s`);
  return fit(`ack ${context.intent ?? ''}`.trimEnd());
}

/** `text` cut to LABEL_MAX UTF-16 units, never inside a surrogate pair, with "…" where it was cut. */
function fit(text: string): string {
  if (text.length <= LABEL_MAX) return text;
  let cut = LABEL_MAX - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/**
 * Server-sent events as text: the one canonical way the SSE bridges write an event, and the check that
 * a run of such text (what an ingress carries in one bus event) is exactly that and nothing else.
 * Parsing is eventsource-parser's; this file only decides the canonical form.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event: its data (lines joined by "\n"), and the event name and id when it had them. */
export interface SseTextEvent {
  readonly event?: string | undefined;
  readonly id?: string | undefined;
  readonly data: string;
}

/** A run of event text that is not canonical SSE (a hostile or broken peer): the egress ends the stream on it. */
export class SseTextError extends Error {
  override readonly name = 'SseTextError';
}

/**
 * The event as SSE text: `event:` and `id:` when present, one `data:` line per line of its data, then a
 * blank line. A client's parser gives back exactly the same event (data byte for byte).
 */
export function eventText(e: SseTextEvent): string {
  let s = '';
  if (e.event !== undefined) s += `event: ${e.event}\n`;
  if (e.id !== undefined) s += `id: ${e.id}\n`;
  for (const line of e.data.split('\n')) s += `data: ${line}\n`;
  return `${s}\n`;
}

/** A streaming reader of SSE text (eventsource-parser), bounded to `maxBufferChars` of unfinished input. */
export function sseReader(maxBufferChars: number, onEvent: (e: EventSourceMessage) => void): { feed(text: string): void; problem(): string | undefined } {
  let problem: string | undefined;
  const parser = createParser({
    maxBufferSize: maxBufferChars,
    onEvent,
    // eventsource-parser reports an unknown field or a bad retry: SSE says to ignore those lines, and so do we, but an overflowing buffer ends the read.
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') problem ??= `an event exceeds ${maxBufferChars} characters`;
    },
  });
  return {
    feed(text) {
      if (problem !== undefined) return;
      parser.feed(text);
    },
    problem: () => problem,
  };
}

/**
 * The events of `text`, which must be canonical event text (`eventText` of each, concatenated): anything
 * else — a comment, a field SSE does not know, an event without its blank line — throws SseTextError.
 */
export function parseEventText(text: string): SseTextEvent[] {
  const events: SseTextEvent[] = [];
  const parser = createParser({
    onEvent: (e) => events.push(e.event === undefined && e.id === undefined ? { data: e.data } : e),
  });
  parser.feed(text);
  let canonical = '';
  for (const e of events) canonical += eventText(e);
  if (canonical !== text) {
    let at = 0;
    while (at < text.length && text[at] === canonical[at]) at++;
    throw new SseTextError(`event text is not canonical SSE at character ${at}: ${JSON.stringify(text.slice(at, at + 40))}`);
  }
  return events;
}

import type { AddressSegment } from '../ir/ir.ts';

const LITERAL_SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export type AddressParse = { ok: true; segments: AddressSegment[] } | { ok: false; reason: string; help: string };

export function parseAddress(text: string): AddressParse {
  const parts = text.split('/');
  const segments: AddressSegment[] = [];
  for (const part of parts) {
    if (part === '') return { ok: false, reason: 'empty segment', help: 'remove the doubled or trailing /' };
    const param = PARAM_SEGMENT.exec(part);
    if (param) {
      segments.push({ kind: 'param', name: param[1]! });
      continue;
    }
    const badParam = /^\{(.*)\}$/.exec(part);
    if (badParam) {
      return {
        ok: false,
        reason: `parameter name '${badParam[1]}' is not a name`,
        help: 'parameter names start with a letter or _ and contain letters, digits and _: {corr}',
      };
    }
    if (part.includes('{') || part.includes('}')) {
      return { ok: false, reason: `segment '${part}' mixes text and a parameter`, help: 'a parameter fills a whole segment: gpu/job.result/{corr}' };
    }
    if (!LITERAL_SEGMENT.test(part)) {
      const lower = part.toLowerCase();
      return {
        ok: false,
        reason: `segment '${part}' has characters outside [a-z0-9._-] or does not start with a letter or digit`,
        help: LITERAL_SEGMENT.test(lower) ? `write it in lower case: '${lower}'` : 'use lower-case letters, digits, . _ and -',
      };
    }
    segments.push({ kind: 'literal', text: part });
  }
  if (segments[0]?.kind === 'param')
    return { ok: false, reason: 'the first segment is a parameter', help: 'start the address with a fixed segment, e.g. gpu/{device}' };
  return { ok: true, segments };
}

/** The address with parameter names erased: two topics are the same topic when these match. */
export function normalizedAddress(segments: readonly AddressSegment[]): string {
  return segments.map((s) => (s.kind === 'param' ? '{}' : s.text)).join('/');
}

/** FNV-1a, 32 bit, over UTF-8: stable across runs, platforms and declaration order. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function topicId(segments: readonly AddressSegment[]): number {
  return fnv1a32(normalizedAddress(segments)) || 1;
}

const MAX_TOOL_NAME = 64;

/**
 * LLM tool name satisfying OpenAI, Anthropic and MCP at once: `^[a-zA-Z0-9_-]{1,64}$`.
 * `/` → `__`, `.` → `_`, `{p}` → `p`; long names keep a prefix and a hash of the whole name.
 */
export function toolName(source: string): string {
  const mangled = source
    .replace(/\{([^}]*)\}/g, '$1')
    .replace(/\//g, '__')
    .replace(/\./g, '_')
    .replace(/[^A-Za-z0-9_-]/g, '_');
  if (mangled.length <= MAX_TOOL_NAME) return mangled || '_';
  const hash = fnv1a32(source).toString(16).padStart(8, '0');
  return `${mangled.slice(0, MAX_TOOL_NAME - 9)}_${hash}`;
}

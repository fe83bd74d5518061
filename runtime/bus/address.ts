import { BusError } from './errors.ts';

/**
 * Addresses and subscription patterns.
 *
 * An address is `/`-separated segments. A topic's address template may hold `{name}` parameter
 * segments; a concrete address fills each with a value (`gpu/job.result/{corr}` → `gpu/job.result/42`).
 *
 * Subscription patterns match concrete addresses segment by segment:
 *   - `text`    the same segment text (`.` is an ordinary character: `job.dispatch` is one segment);
 *   - `{name}`  any one segment, captured as `params.name`;
 *   - `*`       any one segment, not captured;
 *   - `**`      (last segment only) zero or more further segments.
 * So `gpu/*` matches `gpu/job.dispatch` but not `gpu/job.result/7`; `gpu/**` matches both, and
 * `gpu/job.result/{corr}` matches every job result and captures its correlation id.
 */

/** Values accepted for an address parameter; numbers and bigints are written in decimal. */
export type ParamValue = string | number | bigint;
/** The parameters of an address, by name. */
export type AddressParams<K extends string> = { readonly [P in K]: ParamValue };

/** Longest parameter value, in UTF-16 code units. */
export const MAX_PARAM_LENGTH = 256;

type PatternSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'rest' };

/** A compiled subscription pattern. */
export interface AddressPattern {
  readonly source: string;
  readonly segments: readonly PatternSegment[];
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The reason a parameter value cannot fill a segment, or undefined when it can. */
export function paramValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_PARAM_LENGTH) return `is longer than ${MAX_PARAM_LENGTH} characters`;
  if (value.includes('/')) return "contains '/'";
  if (/[{}]/.test(value)) return "contains '{' or '}'";
  if (value === '*' || value === '**') return `is the wildcard '${value}'`;
  return undefined;
}

/** Fills the `{param}` segments of `template`; throws `invalid-address` for a missing or malformed value. */
export function formatAddress(template: string, params: Readonly<Record<string, ParamValue | undefined>> | undefined): string {
  return template
    .split('/')
    .map((seg) => {
      const m = PARAM.exec(seg);
      if (!m) return seg;
      const name = m[1]!;
      const raw = params && Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
      if (raw === undefined) throw new BusError('invalid-address', `address ${template}: parameter '${name}' is missing`, { address: template });
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'bigint') {
        throw new BusError('invalid-address', `address ${template}: parameter '${name}' must be a string, number or bigint`, { address: template });
      }
      if (typeof raw === 'number' && !Number.isFinite(raw))
        throw new BusError('invalid-address', `address ${template}: parameter '${name}' is not a finite number`, { address: template });
      const value = String(raw);
      const problem = paramValueProblem(value);
      if (problem) throw new BusError('invalid-address', `address ${template}: parameter '${name}' ${problem}`, { address: template });
      return value;
    })
    .join('/');
}

/** Compiles a subscription pattern; throws `invalid-address` when it is malformed. */
export function compilePattern(source: string): AddressPattern {
  const bad = (reason: string) => new BusError('invalid-address', `pattern '${source}': ${reason}`, { address: source });
  if (typeof source !== 'string' || source.length === 0) throw bad('is empty');
  const parts = source.split('/');
  const segments = parts.map((part, i): PatternSegment => {
    if (part === '') throw bad('has an empty segment');
    if (part === '**') {
      if (i !== parts.length - 1) throw bad("'**' may only be the last segment");
      return { kind: 'rest' };
    }
    if (part === '*') return { kind: 'any' };
    const m = PARAM.exec(part);
    if (m) return { kind: 'param', name: m[1]! };
    if (/[*{}]/.test(part)) throw bad(`segment '${part}' mixes text with '*', '{' or '}' (wildcards and parameters fill whole segments)`);
    return { kind: 'literal', text: part };
  });
  return { source, segments };
}

/**
 * Pattern for one topic's address template, with some parameters fixed: `{corr}` segments named in
 * `fixed` match only that value; the others match any value and are captured.
 */
export function topicPattern(template: string, fixed: Readonly<Record<string, ParamValue | undefined>> = {}): AddressPattern {
  const segments = compilePattern(template).segments.map((s): PatternSegment => {
    if (s.kind !== 'param') return s;
    const v = Object.prototype.hasOwnProperty.call(fixed, s.name) ? fixed[s.name] : undefined;
    if (v === undefined) return s;
    const text = formatAddress(`{${s.name}}`, { [s.name]: v });
    return { kind: 'literal', text };
  });
  return { source: template, segments };
}

/** Matches a concrete address; returns the captured parameters, or undefined when it does not match. */
export function matchAddress(pattern: AddressPattern, address: string): Record<string, string> | undefined {
  const parts = address.split('/');
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const segs = pattern.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.kind === 'rest') return params;
    const part = parts[i];
    if (part === undefined) return undefined;
    if (s.kind === 'literal' && s.text !== part) return undefined;
    if (s.kind === 'param') params[s.name] = part;
  }
  return parts.length === segs.length ? params : undefined;
}

/** Parameters of a concrete address of `template` (which it must match), by name. */
export function paramsOf(template: string, address: string): Record<string, string> {
  return matchAddress(compilePattern(template), address) ?? {};
}

/** The address a reply to a request on `address` with correlation id `corr` travels on. */
export function replyAddress(address: string, corr: bigint): string {
  return `${address}/reply/${corr}`;
}

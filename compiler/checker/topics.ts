import type * as A from '../ast/nodes.ts';
import type { LoadedFile } from '../binder/load.ts';
import {
  HTTP_METHODS,
  LANES,
  QOS_LEVELS,
  type HttpMethod,
  type IrHints,
  type IrIntent,
  type IrPackage,
  type IrStruct,
  type IrTopic,
  type IrTypeDecl,
  type Lane,
  type Qos,
} from '../ir/ir.ts';
import type { Span } from '../source.ts';
import { clientPathText, intentClientPath, topicClientPath } from './client-path.ts';
import type { CheckContext } from './context.ts';
import { normalizedAddress, parseAddress, topicId, toolName } from './naming.ts';
import { didYouMean } from './suggest.ts';
import { describeLiteral, lowerType, typeText } from './types.ts';
import { DURATION_UNITS, parseDurationUs, parseSizeBytes, SIZE_UNITS } from './units.ts';

type PropKind = 'struct' | 'qos' | 'lane' | 'capabilities' | 'errors' | 'size' | 'bool' | 'string' | 'budget' | 'http' | 'service' | 'multipart';

const HINT_PROPS = { title: 'string', readOnly: 'bool', idempotent: 'bool', destructive: 'bool', openWorld: 'bool' } as const satisfies Record<
  string,
  PropKind
>;
const TOPIC_PROPS: Readonly<Record<string, PropKind>> = {
  payload: 'struct',
  reply: 'struct',
  qos: 'qos',
  budget: 'budget',
  publish: 'capabilities',
  subscribe: 'capabilities',
  errors: 'errors',
  lane: 'lane',
  maxPayload: 'size',
  stream: 'bool',
  ...HINT_PROPS,
};
const INTENT_PROPS: Readonly<Record<string, PropKind>> = {
  body: 'struct',
  reply: 'struct',
  http: 'http',
  multipart: 'multipart',
  service: 'service',
  errors: 'errors',
  ...HINT_PROPS,
};
const BUDGET_PROPS = ['latency', 'jitter'] as const;
const MAX_PAYLOAD_LIMIT = 1024 ** 3;
const DECIMAL_TO_BINARY: Readonly<Record<string, string>> = { KB: 'KiB', kB: 'KiB', kb: 'KiB', MB: 'MiB', mb: 'MiB', GB: 'GiB', gb: 'GiB', b: 'B' };
const DEFAULT_MAX_PAYLOAD: Readonly<Record<Lane, number>> = { sysex8: 1024 ** 2, flex: 64 * 1024, sysex7: 64 * 1024 };

interface Owner {
  readonly label: string;
  /** The address or intent name alone. */
  readonly text: string;
  readonly span: Span;
}

/** Checks topics and intents, lowering them to IR; tool names and topic ids are checked across both. */
export function checkTopicsAndIntents(
  ctx: CheckContext,
  files: readonly LoadedFile[],
  packages: readonly IrPackage[],
  types: readonly IrTypeDecl[],
  packageOf: (f: LoadedFile) => string,
): { topics: IrTopic[]; intents: IrIntent[] } {
  const structs = new Map(types.filter((t): t is IrStruct => t.kind === 'struct').map((t) => [t.name, t]));
  const versionOf = new Map(packages.map((p) => [p.name, p.version]));
  const topics: IrTopic[] = [];
  const intents: IrIntent[] = [];
  const addresses = new Map<string, Owner>();
  const ids = new Map<number, Owner>();
  const tools = new Map<string, Owner>();
  const intentNames = new Map<string, Owner>();
  const clientPaths = new Map<string, Owner>();

  // The first declaration keeps its client path; a later one with the same path is refused, so adding a
  // topic or intent never moves a member of an existing client.
  const claimClientPath = (path: readonly string[], owner: Owner) => {
    const text = clientPathText(path);
    const prior = clientPaths.get(text);
    if (prior)
      ctx.diagnostics.add('clientPathCollision', { a: owner.label, b: prior.label, path: text }, owner.span, {
        help: 'rename one of them: parameters are left out of client paths, `/` and `.` both separate keys, and kebab-case parts become camelCase',
        notes: [{ message: `${prior.label} is declared here`, span: prior.span }],
      });
    else clientPaths.set(text, owner);
  };

  const claimTool = (name: string, owner: Owner) => {
    const prior = tools.get(name);
    if (prior)
      ctx.diagnostics.add('toolNameCollision', { tool: name, a: owner.label, b: prior.label }, owner.span, {
        help: 'rename one of them; tool names replace / with __ and . with _',
      });
    else tools.set(name, owner);
  };

  for (const file of files) {
    const pkg = packageOf(file);
    const version = versionOf.get(pkg) ?? '0.0.0';
    for (const decl of file.parsed.ast.decls) {
      if (decl.kind === 'topic') {
        if (!decl.address) continue;
        const parsed = parseAddress(decl.address.text);
        if (!parsed.ok) {
          ctx.diagnostics.add('invalidAddress', { address: decl.address.text, reason: parsed.reason }, decl.address.span, { help: parsed.help });
          continue;
        }
        const params = parsed.segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []));
        const dup = params.find((p, i) => params.indexOf(p) !== i);
        if (dup) ctx.diagnostics.add('duplicateParam', { name: dup }, decl.address.span, { help: 'give each parameter its own name' });
        const owner: Owner = { label: `topic '${decl.address.text}'`, text: decl.address.text, span: decl.address.span };
        const norm = normalizedAddress(parsed.segments);
        const prior = addresses.get(norm);
        if (prior) {
          ctx.diagnostics.add('duplicateTopic', { address: decl.address.text }, decl.address.span, {
            help: 'each address names one topic; parameters match by position',
            notes: [{ message: `first declared as ${prior.label}`, span: prior.span }],
          });
          continue;
        }
        addresses.set(norm, owner);
        const id = topicId(parsed.segments);
        const idOwner = ids.get(id);
        if (idOwner)
          ctx.diagnostics.add('topicIdCollision', { a: decl.address.text, b: idOwner.text, id }, decl.address.span, { help: 'rename one of the two topics' });
        else ids.set(id, owner);
        const tool = toolName(decl.address.text);
        claimTool(tool, owner);
        claimClientPath(topicClientPath(parsed.segments), owner);
        const props = readProperties(ctx, file, decl.properties, TOPIC_PROPS, 'topic', structs);
        if (!props.has('payload')) {
          // A payload that is written but invalid was reported already; only an absent one is "missing".
          const written = decl.properties.some((p) => p.name.text === 'payload');
          if (!written && !decl.recovered)
            ctx.diagnostics.add('missingProperty', { kind: 'topic', name: decl.address.text, property: 'payload' }, decl.address.span, {
              help: 'add `payload: StructName;` inside the braces',
            });
          continue;
        }
        const lane = (props.get('lane') as Lane | undefined) ?? 'sysex8';
        const budget = (props.get('budget') as { latencyUs?: number; jitterUs?: number } | undefined) ?? {};
        topics.push({
          address: decl.address.text,
          segments: parsed.segments,
          params,
          id,
          toolName: tool,
          package: pkg,
          version,
          payload: props.get('payload') as string,
          ...optional('reply', props.get('reply') as string | undefined),
          qos: (props.get('qos') as Qos | undefined) ?? 'at_most_once',
          budget,
          publish: (props.get('publish') as string[] | undefined) ?? [],
          subscribe: (props.get('subscribe') as string[] | undefined) ?? [],
          ...optional('errors', props.get('errors') as string | undefined),
          lane,
          maxPayload: (props.get('maxPayload') as number | undefined) ?? DEFAULT_MAX_PAYLOAD[lane],
          stream: (props.get('stream') as boolean | undefined) ?? false,
          hints: hintsOf(props),
          ...optional('doc', decl.doc),
          source: ctx.source(decl.span),
        });
      } else if (decl.kind === 'intent') {
        if (!decl.name) continue;
        const owner: Owner = { label: `intent '${decl.name.text}'`, text: decl.name.text, span: decl.name.span };
        const prior = intentNames.get(decl.name.text);
        if (prior) {
          ctx.diagnostics.add('duplicateIntent', { name: decl.name.text }, decl.name.span, {
            help: 'rename one of them',
            notes: [{ message: 'first declared here', span: prior.span }],
          });
          continue;
        }
        intentNames.set(decl.name.text, owner);
        const tool = toolName(decl.name.text);
        claimTool(tool, owner);
        claimClientPath(intentClientPath(decl.name.text), owner);
        const props = readProperties(ctx, file, decl.properties, INTENT_PROPS, 'intent', structs);
        const missing = (['body', 'http', 'service'] as const).filter((p) => !props.has(p) && !decl.properties.some((x) => x.name.text === p));
        if (!decl.recovered)
          for (const p of missing)
            ctx.diagnostics.add('missingProperty', { kind: 'intent', name: decl.name.text, property: p }, decl.name.span, { help: INTENT_HELP[p] });
        const body = props.get('body') as string | undefined;
        const http = props.get('http') as { method: HttpMethod; path: string; pathParams: string[]; span: Span } | undefined;
        const service = props.get('service') as string | undefined;
        if (!body || !http || !service) continue;
        const bodyStruct = structs.get(body);
        const unknownParam = http.pathParams.find((p) => bodyStruct && !bodyStruct.fields.some((f) => f.name === p));
        if (unknownParam) {
          ctx.diagnostics.add('invalidHttp', { reason: `path parameter '{${unknownParam}}' is not a field of ${bodyStruct!.shortName}` }, http.span, {
            help: ctx.suggester.didYouMean(
              unknownParam,
              bodyStruct!.fields.map((f) => f.name),
              `add a field '${unknownParam}' to ${bodyStruct!.shortName}`,
            )!,
          });
          continue;
        }
        const multipart = props.get('multipart') as FilePart[] | undefined;
        const fileParts = multipart && bodyStruct ? checkFileParts(ctx, multipart, bodyStruct, http) : undefined;
        if (multipart && !fileParts) continue;
        intents.push({
          name: decl.name.text,
          toolName: tool,
          package: pkg,
          version,
          body,
          ...optional('reply', props.get('reply') as string | undefined),
          http: { method: http.method, path: http.path, pathParams: http.pathParams, ...optional('fileParts', fileParts) },
          service,
          ...optional('errors', props.get('errors') as string | undefined),
          hints: hintsOf(props),
          ...optional('doc', decl.doc),
          source: ctx.source(decl.span),
        });
      }
    }
  }
  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  return { topics: topics.sort(byKey((t) => t.address)), intents: intents.sort(byKey((i) => i.name)) };
}

const INTENT_HELP = {
  body: 'add `body: RequestStruct;`',
  http: 'add `http: POST "/path";`',
  service: 'add `service: name;` (the base URL comes from bridge configuration)',
} as const;

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function hintsOf(props: ReadonlyMap<string, unknown>): IrHints {
  const hints: Record<string, unknown> = {};
  for (const key of Object.keys(HINT_PROPS)) if (props.has(key)) hints[key] = props.get(key);
  return hints;
}

/** Validates each property against its table and returns the lowered values by name. */
function readProperties(
  ctx: CheckContext,
  file: LoadedFile,
  props: readonly A.Property[],
  table: Readonly<Record<string, PropKind>>,
  kind: 'topic' | 'intent',
  structs: ReadonlyMap<string, IrStruct>,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const seen = new Set<string>();
  for (const p of props) {
    const name = p.name.text;
    const propKind = table[name];
    if (!propKind) {
      ctx.diagnostics.add('unknownProperty', { kind, name }, p.name.span, {
        help: didYouMean(name, Object.keys(table), `${kind} properties are: ${Object.keys(table).join(', ')}`)!,
      });
      continue;
    }
    if (seen.has(name)) {
      ctx.diagnostics.add('duplicateProperty', { name }, p.name.span, { help: 'remove one of them' });
      continue;
    }
    seen.add(name);
    const value = readProperty(ctx, file, p, propKind, structs);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

function readProperty(ctx: CheckContext, file: LoadedFile, p: A.Property, kind: PropKind, structs: ReadonlyMap<string, IrStruct>): unknown {
  const name = p.name.text;
  const bad = (expected: string, found: string, span: Span, help: string): undefined => {
    ctx.diagnostics.add('invalidPropertyValue', { property: name, expected, found }, span, { help });
    return undefined;
  };
  if (kind === 'budget') {
    if (!p.block) return bad('a block', 'a value', p.span, 'write budget { latency: 50ms; jitter: 5ms; }');
    return readBudget(ctx, p.block);
  }
  if (!p.values) return bad(EXPECT[kind], 'a block', p.span, `write ${name}: …;`);
  // An empty value (`qos: ;`) is a syntax error that the parser has reported.
  if (p.values.length === 0 || p.values.some((g) => g.length === 0)) return undefined;
  const spaced = p.values.length === 1 ? splitQuantity(p.values[0]!) : undefined;
  if (spaced && kind === 'size')
    return bad(EXPECT[kind], `'${spaced}'`, p.values[0]![0]!.span, `write the number and its unit together: ${spaced.replace(' ', '')}`);
  if (kind === 'capabilities') {
    const caps: string[] = [];
    for (const group of p.values) {
      const item = single(group);
      if (!item || item.kind !== 'type' || item.type.kind !== 'named') {
        const at = group[0]?.span ?? p.span;
        const help = (item && unquoteHelp(name, item)) ?? 'list capabilities separated by commas: publish: gpu.admin, gpu.dispatch;';
        bad('capability names', item ? describeItem(item) : 'several values', at, help);
        continue;
      }
      const capName = item.type.name.text;
      const found = ctx.binder.resolveCapability(file, capName);
      if (!found.symbol) {
        const elsewhere = ctx.binder.capabilityDeclaredElsewhere(capName);
        ctx.diagnostics.add('unknownCapability', { name: capName }, item.span, {
          help: elsewhere
            ? `it is declared in ${elsewhere.parsed.ast.file.path}; import that file`
            : ctx.suggester.didYouMean(capName, found.candidates, `declare it: capability ${capName};`)!,
        });
        continue;
      }
      if (!caps.includes(capName)) caps.push(capName);
    }
    return caps.sort();
  }
  const item = p.values.length === 1 ? p.values[0] : undefined;
  if (kind === 'http') return readHttp(ctx, name, item, p.span);
  if (kind === 'multipart') return readMultipart(ctx, name, p.values, p.span);
  const v = item ? single(item) : undefined;
  const at = p.values[0]?.[0]?.span ?? p.span;
  if (!v) return bad(EXPECT[kind], 'several values', at, `${name} takes one value`);
  switch (kind) {
    case 'struct': {
      if (v.kind !== 'type') return bad('a struct type', describeItem(v), v.span, unquoteHelp(name, v) ?? `write ${name}: StructName;`);
      if (v.type.kind === 'optional') return bad('a struct type', `'${typeText(v.type)}'`, v.span, `a ${name} is always present; drop the ?`);
      const type = lowerType(ctx, file, v.type);
      if (!type) return undefined;
      if (type.kind === 'named' && type.declKind === 'struct' && structs.has(type.name)) return type.name;
      ctx.diagnostics.add(
        'notAStruct',
        { property: name, found: type.kind === 'named' ? `${type.declKind} '${typeText(v.type)}'` : `'${typeText(v.type)}'` },
        v.span,
        {
          help: `wrap it in a struct: struct ${capitalize(name)} { value: ${typeText(v.type)} @1; }`,
        },
      );
      return undefined;
    }
    case 'qos':
    case 'lane': {
      const options: readonly string[] = kind === 'qos' ? QOS_LEVELS : LANES;
      const word = v.kind === 'type' && v.type.kind === 'named' ? v.type.name.text : undefined;
      if (word && options.includes(word)) return word;
      if (v.kind === 'string') {
        // `qos: "exactly_once";`: the value is a keyword, written bare as in every example.
        const help = options.includes(v.value) ? `remove the quotes: \`${name}: ${v.value};\`` : `remove the quotes and write one of ${options.join(', ')}`;
        return bad(options.join(' | '), describeItem(v), v.span, help);
      }
      return bad(options.join(' | '), describeItem(v), v.span, (word && didYouMean(word, options)) ?? `choose one of ${options.join(', ')}`);
    }
    case 'errors': {
      if (v.kind !== 'type' || v.type.kind !== 'named')
        return bad('an error set name', describeItem(v), v.span, unquoteHelp(name, v) ?? 'write errors: ErrorSetName;');
      const found = ctx.lookupDecl(file, v.type.name, ['errors'], 'an error set');
      return found && 'fqName' in found ? found.fqName : undefined;
    }
    case 'size': {
      if (v.kind === 'number' && v.integer !== null) return checkSize(ctx, Number(v.integer), v.text, v.span);
      if (v.kind !== 'quantity') return bad('a size such as 64KiB', describeItem(v), v.span, 'sizes take B, KiB, MiB or GiB');
      const bytes = parseSizeBytes(v);
      if (bytes === undefined) {
        const binary = DECIMAL_TO_BINARY[v.unit];
        ctx.diagnostics.add('unknownUnit', { unit: v.unit, what: 'a size' }, v.span, {
          help: binary
            ? `sizes are binary: write ${v.amount}${binary}`
            : didYouMean(v.unit, Object.keys(SIZE_UNITS), `size units are ${Object.keys(SIZE_UNITS).join(', ')}`)!,
        });
        return undefined;
      }
      return checkSize(ctx, bytes, v.text, v.span);
    }
    case 'bool':
      return v.kind === 'bool' ? v.value : bad('true or false', describeItem(v), v.span, unquoteHelp(name, v) ?? `write ${name}: true;`);
    case 'string':
      return v.kind === 'string' ? v.value : bad('a string', describeItem(v), v.span, `write ${name}: "…";`);
    case 'service':
      return v.kind === 'type' && v.type.kind === 'named'
        ? v.type.name.text
        : bad('a service name', describeItem(v), v.span, unquoteHelp(name, v) ?? 'write service: planner;');
  }
  return undefined;
}

const EXPECT: Readonly<Record<PropKind, string>> = {
  struct: 'a struct type',
  qos: QOS_LEVELS.join(' | '),
  lane: LANES.join(' | '),
  capabilities: 'capability names',
  errors: 'an error set name',
  size: 'a size such as 64KiB',
  bool: 'true or false',
  string: 'a string',
  budget: 'a block',
  http: 'METHOD "/path"',
  multipart: 'field "part"',
  service: 'a service name',
};

function checkSize(ctx: CheckContext, bytes: number, text: string, span: Span): number | undefined {
  if (bytes < 1 || bytes > MAX_PAYLOAD_LIMIT) {
    ctx.diagnostics.add('valueOutOfRange', { what: 'maxPayload', value: text, range: `1B to 1GiB` }, span, {
      help: 'large transfers are chunked; keep maxPayload to what a receiver should buffer',
    });
    return undefined;
  }
  return bytes;
}

function readBudget(ctx: CheckContext, block: readonly A.Property[]): { latencyUs?: number; jitterUs?: number } {
  const out: { latencyUs?: number; jitterUs?: number } = {};
  const seen = new Set<string>();
  for (const p of block) {
    const name = p.name.text;
    if (!(BUDGET_PROPS as readonly string[]).includes(name)) {
      ctx.diagnostics.add('unknownProperty', { kind: 'budget', name }, p.name.span, {
        help: didYouMean(name, BUDGET_PROPS, 'a budget has latency and jitter')!,
      });
      continue;
    }
    if (seen.has(name)) {
      ctx.diagnostics.add('duplicateProperty', { name }, p.name.span, { help: 'remove one of them' });
      continue;
    }
    seen.add(name);
    if (!p.values || p.values.length === 0 || p.values.some((g) => g.length === 0)) continue;
    const spaced = p.values.length === 1 ? splitQuantity(p.values[0]!) : undefined;
    if (spaced) {
      ctx.diagnostics.add('invalidPropertyValue', { property: name, expected: 'a duration such as 5ms', found: `'${spaced}'` }, p.values[0]![0]!.span, {
        help: `write the number and its unit together: ${spaced.replace(' ', '')}`,
      });
      continue;
    }
    const v = p.values.length === 1 ? single(p.values[0]!) : undefined;
    if (!v || v.kind !== 'quantity') {
      ctx.diagnostics.add(
        'invalidPropertyValue',
        { property: name, expected: 'a duration such as 5ms', found: v ? describeItem(v) : 'no single value' },
        v?.span ?? p.span,
        { help: 'durations take us, ms or s' },
      );
      continue;
    }
    const us = parseDurationUs(v);
    if (us === undefined) {
      ctx.diagnostics.add('unknownUnit', { unit: v.unit, what: 'a duration' }, v.span, {
        help: didYouMean(v.unit, Object.keys(DURATION_UNITS), `duration units are ${Object.keys(DURATION_UNITS).join(', ')}`)!,
      });
      continue;
    }
    if (us < 1 || us > 3_600_000_000) {
      ctx.diagnostics.add('valueOutOfRange', { what: name, value: v.text, range: '1us to 3600s' }, v.span, {
        help: 'a budget is a positive duration of at most an hour',
      });
      continue;
    }
    if (name === 'latency') out.latencyUs = us;
    else out.jitterUs = us;
  }
  return out;
}

function readHttp(
  ctx: CheckContext,
  name: string,
  group: readonly A.ValueItem[] | undefined,
  span: Span,
): { method: HttpMethod; path: string; pathParams: string[]; span: Span } | undefined {
  const fail = (reason: string, at: Span, help: string) => {
    ctx.diagnostics.add('invalidHttp', { reason }, at, { help });
    return undefined;
  };
  const [m, path, ...rest] = group ?? [];
  if (!m || !path || rest.length > 0 || m.kind !== 'type' || m.type.kind !== 'named' || path.kind !== 'string') {
    return fail(`'${name}' takes a method and a quoted path`, group?.[0]?.span ?? span, 'write http: POST "/planner/execute";');
  }
  const method = m.type.name.text;
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    const upper = method.toUpperCase();
    const help = (HTTP_METHODS as readonly string[]).includes(upper)
      ? `write it in capitals: ${upper}`
      : didYouMean(upper, HTTP_METHODS, `methods: ${HTTP_METHODS.join(', ')}`)!;
    return fail(`unknown method '${method}'`, m.span, help);
  }
  const p = path.value;
  // Segments are text and whole {param} placeholders, so braces always balance.
  if (
    !/^(?:\/(?:[A-Za-z0-9._~-]|\{[A-Za-z_][A-Za-z0-9_]*\})*)+(?:\?[A-Za-z0-9_]+=\{[A-Za-z_][A-Za-z0-9_]*\}(?:&[A-Za-z0-9_]+=\{[A-Za-z_][A-Za-z0-9_]*\})*)?$/.test(
      p,
    )
  ) {
    return fail(
      `path '${p}' is not of the form /segment/{param}[?key={param}]`,
      path.span,
      'paths start with / and use {field} for values taken from the body',
    );
  }
  const params = [...p.matchAll(/\{([^}]*)\}/g)].map((x) => x[1]!);
  const badParam = params.find((x) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(x));
  if (badParam !== undefined) return fail(`'{${badParam}}' is not a field name`, path.span, 'parameters name fields of the body: {function_id}');
  return { method: method as HttpMethod, path: p, pathParams: [...new Set(params)], span: path.span };
}

interface FilePart {
  readonly field: string;
  readonly part: string;
  readonly span: Span;
}

/** A form-data part name: a token that needs no quoting in a Content-Disposition header. */
const PART_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `multipart: openapi "openapi_file", logo "logo_file";`: each body field sent as a file part of that name. */
function readMultipart(ctx: CheckContext, name: string, groups: readonly (readonly A.ValueItem[])[], span: Span): FilePart[] | undefined {
  const parts: FilePart[] = [];
  for (const group of groups) {
    const [field, part, ...rest] = group;
    if (
      !field ||
      !part ||
      rest.length > 0 ||
      field.kind !== 'type' ||
      field.type.kind !== 'named' ||
      field.type.name.parts.length !== 1 ||
      part.kind !== 'string'
    ) {
      ctx.diagnostics.add('invalidMultipart', { reason: `'${name}' takes a body field and a quoted part name` }, group[0]?.span ?? span, {
        help: 'write multipart: openapi "openapi_file";',
      });
      return undefined;
    }
    if (!PART_NAME.test(part.value)) {
      ctx.diagnostics.add('invalidMultipart', { reason: `part name '${part.value}' is not 1-64 of [A-Za-z0-9_.-]` }, part.span, {
        help: 'name the part as the service expects it, e.g. "openapi_file"',
      });
      return undefined;
    }
    parts.push({ field: field.type.name.text, part: part.value, span: field.span });
  }
  return parts;
}

/** The file parts of an intent sent as multipart/form-data: each names a body field that is sent in the body, once. */
function checkFileParts(
  ctx: CheckContext,
  parts: readonly FilePart[],
  body: IrStruct,
  http: { method: HttpMethod; pathParams: readonly string[]; span: Span },
): { readonly field: string; readonly part: string }[] | undefined {
  const fail = (reason: string, at: Span, help: string) => {
    ctx.diagnostics.add('invalidMultipart', { reason }, at, { help });
    return undefined;
  };
  if (http.method === 'GET' || http.method === 'DELETE')
    return fail(`a ${http.method} request has no body to send as multipart/form-data`, http.span, 'use POST, PUT or PATCH, or drop multipart');
  const seenFields = new Set<string>();
  const seenParts = new Set<string>();
  for (const p of parts) {
    if (!body.fields.some((f) => f.name === p.field))
      return fail(
        `'${p.field}' is not a field of ${body.shortName}`,
        p.span,
        ctx.suggester.didYouMean(
          p.field,
          body.fields.map((f) => f.name),
          `add a field '${p.field}' to ${body.shortName}`,
        )!,
      );
    if (http.pathParams.includes(p.field))
      return fail(`'${p.field}' is a path or query parameter, not sent in the body`, p.span, 'send it as a part or as a parameter, not both');
    if (seenFields.has(p.field) || seenParts.has(p.part))
      return fail(`'${p.field}' "${p.part}" repeats a field or a part name`, p.span, 'list each field and part once');
    seenFields.add(p.field);
    seenParts.add(p.part);
  }
  return parts.map((p) => ({ field: p.field, part: p.part }));
}

/** `5 ms` (a number, then a unit-like name): the text, so the error can show the fix. */
function splitQuantity(group: readonly A.ValueItem[]): string | undefined {
  const [n, unit] = group;
  if (group.length !== 2 || n?.kind !== 'number' || unit?.kind !== 'type' || unit.type.kind !== 'named' || unit.type.name.parts.length !== 1) return undefined;
  return `${n.text} ${unit.type.name.text}`;
}

function single(group: readonly A.ValueItem[]): A.ValueItem | undefined {
  return group.length === 1 ? group[0] : undefined;
}

/** For a name or keyword written as a string (`payload: "Strip";`): the same value without its quotes. */
function unquoteHelp(property: string, v: A.ValueItem): string | undefined {
  if (v.kind !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(v.value)) return undefined;
  return `remove the quotes: \`${property}: ${v.value};\``;
}

function describeItem(v: A.ValueItem): string {
  return v.kind === 'type' ? `'${typeText(v.type)}'` : describeLiteral(v);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

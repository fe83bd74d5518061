import type { IrErrorSet, IrIntent, IrProgram, IrTopic } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions } from '../emitter.ts';
import { cmp, importPath, tsNames, typesModule } from '../shared/names.ts';
import {
  comments,
  docCommentText,
  expr,
  identifier,
  importDeclaration,
  lit,
  literalType,
  named,
  object,
  printModule,
  property,
  stmts,
  type,
  union,
  withBlankLineAfter,
  type Syntax,
} from '../shared/ts/index.ts';

/**
 * capabilities.ts and registry.ts (docs/generated-code.md § Registry). Both read the IR only; values
 * come from the types modules (`types/<package>.ts`: one `Codec` per type, error sets as `N` codes and
 * `NMessages`) and the runtime's
 * `defineTopic`/`defineIntent`/`defineErrorSet`/`capabilityMaskHelpers`.
 */

export const CAPABILITIES_MODULE = 'capabilities';
export const REGISTRY_MODULE = 'registry';

/** Names capabilities.ts and registry.ts export (index.ts resolves clashes with schema types). */
export const CAPABILITIES_EXPORTS = ['Capabilities', 'CapabilityName', 'CapabilityMask'] as const;
export const REGISTRY_EXPORTS = ['errorSets', 'topics', 'topicsById', 'TopicAddress', 'intents', 'IntentName'] as const;

const CAPABILITIES_DOC = [
  '/**',
  ' * Capability bits of this schema. Each capability owns one bit of the 64-bit session capability mask',
  ' * (a bigint); bits are stable: written in the schema or pinned in midl.lock, never moved.',
  " * A session may publish (subscribe to) a topic when its mask holds any one of the topic's publish",
  ' * (subscribe) capabilities; a topic that names none is open to every session.',
  ' */',
].join('\n');

const MASK_HELPERS_DOC = [
  '/**',
  ' * Mask helpers: `maskOf(...names)`, `hasAll(mask, required)`, `hasAny(mask, required)`, `describe(mask)`',
  ' * (names in bit order, `bit N` for bits no capability owns) and `nameOf(bit)`.',
  ' */',
].join('\n');

export function capabilitiesTs(ir: IrProgram, options: EmitOptions): string {
  const entries = ir.capabilities.map((c) => {
    const mask: Syntax.BigIntLiteral = { type: 'BigIntLiteral', raw: `0x${(1n << BigInt(c.bit)).toString(16)}n` };
    const value = expr`Object.freeze({ bit: ${c.bit}, mask: ${mask}, doc: ${lit(c.doc ?? '')} })`;
    return property(c.name, value, docCommentText(c.doc ? `${c.doc}\n\nBit ${c.bit}.` : `Bit ${c.bit}.`));
  });
  return printModule(stmts`${comments(GENERATED_HEADER, CAPABILITIES_DOC)}
    import { capabilityMaskHelpers } from ${options.runtimeImport};

    /** Every capability by name: its bit, its single-bit mask and its documentation. */
    export const Capabilities = Object.freeze({
      ${entries}
    });

    export type CapabilityName = keyof typeof Capabilities;

    ${comments(MASK_HELPERS_DOC)}
    export const CapabilityMask = capabilityMaskHelpers<CapabilityName>(Capabilities);`);
}

/** A local alias for each package's types module, unique and unlike any other name in registry.ts. */
export function packageAliases(packages: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const pkg of [...packages].sort(cmp)) {
    const base = `t_${pkg.replace(/[^A-Za-z0-9]/g, '_') || '_'}`;
    let alias = base;
    for (let n = 2; used.has(alias); n++) alias = `${base}_${n}`;
    used.add(alias);
    out.set(pkg, alias);
  }
  return out;
}

/** `Capabilities['a'].mask | Capabilities['b'].mask`, or `0n` for none. */
function capabilityMask(names: readonly string[]): Syntax.Expression {
  if (names.length === 0) return { type: 'BigIntLiteral', raw: '0n' };
  return names
    .map((n) => expr`Capabilities[${lit(n)}].mask`)
    .reduce((left, right): Syntax.Expression => ({ type: 'BinaryExpression', operator: '|', left, right }));
}

const REGISTRY_DOC = [
  '/**',
  ' * Topic and intent registry of this schema. `topics` has one entry per topic keyed by address',
  ' * template, `topicsById` the same entries by stable topic id, `intents` one entry per Flex intent keyed',
  ' * by name. Each entry is the runtime descriptor a Bus takes (`bus.publish(topics[address], value)`);',
  ' * `createClient(bus)` in client.ts wraps them in a typed tree.',
  ' */',
].join('\n');

export function registryTs(ir: IrProgram, options: EmitOptions): string {
  const names = tsNames(ir);
  const declPackage = new Map<string, string>([...ir.types, ...ir.errorSets].map((d) => [d.name, d.package]));
  const used = new Set<string>();
  for (const t of ir.topics) for (const n of [t.payload, t.reply]) if (n) used.add(n);
  for (const i of ir.intents) for (const n of [i.body, i.reply]) if (n) used.add(n);
  for (const e of ir.errorSets) used.add(e.name);
  const packages = [...new Set([...used].map((n) => declPackage.get(n) ?? ''))].sort(cmp);
  const alias = packageAliases(packages);
  const typeRef = (fq: string) => `${alias.get(declPackage.get(fq) ?? '')}.${names.get(fq) ?? fq}`;

  const runtimeNames = [
    ...(ir.errorSets.length > 0 ? ['defineErrorSet'] : []),
    ...(ir.intents.length > 0 ? ['defineIntent'] : []),
    ...(ir.topics.length > 0 ? ['defineTopic'] : []),
  ];
  const imports: Syntax.Statement[] = [importDeclaration(named(...runtimeNames), options.runtimeImport)];
  if (ir.topics.some((t) => t.publish.length + t.subscribe.length > 0)) imports.push(importDeclaration(named('Capabilities'), `./${CAPABILITIES_MODULE}.ts`));
  for (const pkg of packages) imports.push(...stmts`import * as ${alias.get(pkg)!} from ${importPath(REGISTRY_MODULE, typesModule(pkg), '.ts')};`);
  imports[0] = { ...imports[0]!, leadingComments: [GENERATED_HEADER, REGISTRY_DOC] };
  imports.push(withBlankLineAfter(imports.pop()!));

  return printModule(stmts`${imports}
    /** Error sets that topics and intents answer with, by fully qualified name. */
    export const errorSets = Object.freeze({
      ${[...ir.errorSets].sort((a, b) => cmp(a.name, b.name)).map((e) => errorSetEntry(e, typeRef))}
    });

    /** Every topic by address template. */
    export const topics = Object.freeze({
      ${ir.topics.map((t) => topicEntry(t, typeRef))}
    });

    export type TopicAddress = keyof typeof topics;

    /** Every topic by its stable numeric id (the id carried in envelope headers). */
    export const topicsById: ReadonlyMap<number, (typeof topics)[TopicAddress]> = new Map(Object.values(topics).map((t) => [t.id, t] as const));

    ${intentsDeclaration(ir, typeRef)}`);
}

/**
 * Every Flex intent by name. A schema without intents gets an explicitly typed empty record, so that
 * `Object.values(intents)` is `never[]` (assignable to `NetworkBusOptions.intents`), not `unknown[]`.
 */
function intentsDeclaration(ir: IrProgram, typeRef: (fq: string) => string): Syntax.Statement[] {
  if (ir.intents.length === 0)
    return stmts`
      /** Every Flex intent by name: this schema declares none. */
      export const intents: Readonly<Record<string, never>> = Object.freeze({});

      export type IntentName = never;`;
  return stmts`
    /** Every Flex intent by name. */
    export const intents = Object.freeze({
      ${ir.intents.map((i) => intentEntry(i, typeRef))}
    });

    export type IntentName = keyof typeof intents;`;
}

/** An error set's codes and messages are the consts of its types module (`N`, `NMessages`). */
function errorSetEntry(e: IrErrorSet, ref: (fq: string) => string): Syntax.Property {
  const codes = ref(e.name);
  const messages = e.members.some((m) => m.message !== undefined) ? `${codes}Messages` : '{}';
  return property(e.name, expr`defineErrorSet({ name: ${lit(e.name)}, codes: ${codes}, messages: ${messages} })`, docCommentText(e.doc));
}

/** Type arguments without trailing defaults (`never`): defineTopic<P>, defineTopic<P, R>, defineTopic<P, never, 'corr'>. */
function typeArgs(args: readonly Syntax.TypeNode[]): Syntax.TypeNode[] {
  const list = [...args];
  const isNever = (t: Syntax.TypeNode | undefined) => t?.type === 'TSKeywordType' && t.keyword === 'never';
  while (list.length > 1 && isNever(list[list.length - 1])) list.pop();
  return list;
}

function topicEntry(t: IrTopic, typeRef: (fq: string) => string): Syntax.Property {
  const budget = [
    ...(t.budget.latencyUs === undefined ? [] : [property('latencyUs', expr`${t.budget.latencyUs}`)]),
    ...(t.budget.jitterUs === undefined ? [] : [property('jitterUs', expr`${t.budget.jitterUs}`)]),
  ];
  const args = typeArgs([type`${typeRef(t.payload)}`, t.reply ? type`${typeRef(t.reply)}` : type`never`, union(t.params.map(literalType))]);
  const value = expr`defineTopic<${args}>({
    address: ${lit(t.address)},
    id: ${t.id},
    params: [${t.params.map(lit)}],
    package: ${lit(t.package)},
    version: ${lit(t.version)},
    payload: ${typeRef(t.payload)},
    reply: ${t.reply ? typeRef(t.reply) : identifier('undefined')},
    qos: ${lit(t.qos)},
    budget: ${object(budget, false)},
    publish: ${capabilityMask(t.publish)},
    subscribe: ${capabilityMask(t.subscribe)},
    errors: ${t.errors ? expr`errorSets[${lit(t.errors)}]` : identifier('undefined')},
    lane: ${lit(t.lane)},
    maxPayload: ${t.maxPayload},
    stream: ${t.stream},
    toolName: ${lit(t.toolName)},
  })`;
  return property(t.address, value, docCommentText(t.doc ? `\`${t.address}\`\n\n${t.doc}` : `\`${t.address}\``));
}

function intentEntry(i: IrIntent, typeRef: (fq: string) => string): Syntax.Property {
  const title = `\`${i.name}\` (${i.http.method} ${i.http.path})`;
  const args = typeArgs([type`${typeRef(i.body)}`, i.reply ? type`${typeRef(i.reply)}` : type`never`]);
  const c = {
    name: lit(i.name),
    toolName: lit(i.toolName),
    package: lit(i.package),
    version: lit(i.version),
    body: typeRef(i.body),
    reply: i.reply ? typeRef(i.reply) : identifier('undefined'),
    method: lit(i.http.method),
    path: lit(i.http.path),
    pathParams: i.http.pathParams.map(lit),
    service: lit(i.service),
    errors: i.errors ? expr`errorSets[${lit(i.errors)}]` : identifier('undefined'),
  };
  // fileParts only where the intent has them, so the descriptors of JSON intents keep their shape.
  const value = i.http.fileParts
    ? expr`defineIntent<${args}>({
    name: ${c.name},
    toolName: ${c.toolName},
    package: ${c.package},
    version: ${c.version},
    body: ${c.body},
    reply: ${c.reply},
    method: ${c.method},
    path: ${c.path},
    pathParams: [${c.pathParams}],
    fileParts: ${object(
      i.http.fileParts.map((f) => property(f.field, lit(f.part))),
      false,
    )},
    service: ${c.service},
    errors: ${c.errors},
  })`
    : expr`defineIntent<${args}>({
    name: ${c.name},
    toolName: ${c.toolName},
    package: ${c.package},
    version: ${c.version},
    body: ${c.body},
    reply: ${c.reply},
    method: ${c.method},
    path: ${c.path},
    pathParams: [${c.pathParams}],
    service: ${c.service},
    errors: ${c.errors},
  })`;
  return property(i.name, value, docCommentText(i.doc ? `${title}\n\n${i.doc}` : title));
}

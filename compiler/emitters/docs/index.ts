/**
 * The `docs` emitter: `README.md`, the generated documentation of the schema, rendered from
 * `templates/readme.md.hbs`. This file only builds the view (plain data from the IR, with Markdown
 * fragments for type references); the document's shape is the template's.
 */
import type { IrConstraints, IrField, IrHints, IrIntent, IrProgram, IrTopic, IrType, IrTypeDecl, Qos } from '../../ir/ir.ts';
import type { EmittedFile, Emitter } from '../emitter.ts';
import { defaultToJson } from '../shared/example.ts';
import { anyOneOf, formatBudget, formatBytes, inlineCode, paragraphs, renderTemplate } from '../shared/templates.ts';
import { maskHex, responseTopicOf } from '../facts/model.ts';

const QOS_TEXT: Readonly<Record<Qos, string>> = {
  at_most_once: 'at most once',
  at_least_once: 'at least once',
  exactly_once: 'exactly once',
};

const HINT_NAMES: readonly (keyof IrHints)[] = ['readOnly', 'idempotent', 'destructive', 'openWorld'];

/** Anchor of a declaration or section: stable, unique, independent of heading text. */
export function anchor(kind: string, name: string): string {
  return `${kind}-${name}`.replace(/[^A-Za-z0-9._-]/g, '-');
}

interface FieldView {
  number: number;
  name: string;
  type: string;
  required: string;
  default: string | null;
  constraints: string | null;
  doc: string | null;
}

class ReadmeView {
  private readonly decls: ReadonlyMap<string, IrTypeDecl | { kind: 'errors'; name: string; shortName: string }>;

  constructor(private readonly ir: IrProgram) {
    this.decls = new Map<string, IrTypeDecl | { kind: 'errors'; name: string; shortName: string }>([...ir.types, ...ir.errorSets].map((d) => [d.name, d]));
  }

  /** A Markdown link to a declared type or error set, by its short name. */
  ref(name: string): string {
    const d = this.decls.get(name);
    return d ? `[${d.shortName}](#${anchor(d.kind === 'errors' ? 'errors' : 'type', d.name)})` : inlineCode(name);
  }

  typeText(t: IrType): string {
    switch (t.kind) {
      case 'scalar':
        return t.scalar;
      case 'named':
        return this.ref(t.name);
      case 'array':
        return `${this.typeText(t.element)}[]`;
      // `\<` keeps Markdown from reading `<u16, f64>` as an HTML tag.
      case 'map':
        return `map\\<${this.typeText(t.key)}, ${this.typeText(t.value)}>`;
    }
  }

  field(f: IrField): FieldView {
    return {
      number: f.number,
      name: f.name,
      type: this.typeText(f.type),
      required: f.optional ? 'optional' : 'required',
      default: f.default !== undefined ? inlineCode(JSON.stringify(defaultToJson(f.default, f.type))) : null,
      constraints: constraintsText(f.constraints),
      doc: f.doc ? paragraphs(f.doc).join(' ') : null,
    };
  }

  fieldsOf(typeName: string): FieldView[] {
    const d = this.decls.get(typeName);
    return d && d.kind === 'struct' ? d.fields.map((f) => this.field(f)) : [];
  }

  topic(t: IrTopic) {
    return {
      anchor: anchor('topic', t.address),
      address: t.address,
      id: `0x${t.id.toString(16).padStart(8, '0')}`,
      toolName: t.toolName,
      title: t.hints.title ?? null,
      doc: t.doc ?? null,
      params: [...t.params],
      payload: this.ref(t.payload),
      payloadName: this.decls.get(t.payload)?.shortName ?? t.payload,
      reply: t.reply !== undefined ? this.ref(t.reply) : null,
      responseTopic: t.reply !== undefined ? responseTopicOf(t.address) : null,
      qos: QOS_TEXT[t.qos],
      budget: formatBudget(t.budget),
      publish: this.capsText(t.publish),
      subscribe: this.capsText(t.subscribe),
      errors: t.errors !== undefined ? this.ref(t.errors) : null,
      lane: t.lane,
      maxPayload: formatBytes(t.maxPayload),
      stream: t.stream,
      hints: hintsText(t.hints),
      fields: this.fieldsOf(t.payload),
    };
  }

  intent(i: IrIntent) {
    return {
      anchor: anchor('intent', i.name),
      name: i.name,
      toolName: i.toolName,
      title: i.hints.title ?? null,
      doc: i.doc ?? null,
      method: i.http.method,
      path: i.http.path,
      service: i.service,
      body: this.ref(i.body),
      bodyName: this.decls.get(i.body)?.shortName ?? i.body,
      reply: i.reply !== undefined ? this.ref(i.reply) : null,
      errors: i.errors !== undefined ? this.ref(i.errors) : null,
      hints: hintsText(i.hints),
      fields: this.fieldsOf(i.body),
    };
  }

  capsText(names: readonly string[]): string | null {
    return names.length > 0 ? anyOneOf([...names].sort().map((n) => `[${n}](#${anchor('cap', n)})`)) : null;
  }

  type(d: IrTypeDecl) {
    const base = {
      anchor: anchor('type', d.name),
      name: d.name,
      shortName: d.shortName,
      kind: d.kind,
      doc: d.doc ?? null,
      isStruct: false,
      isUnion: false,
      isEnum: false,
      fields: [] as FieldView[],
      members: [] as { name: string; value: number; doc: string | null }[],
      reserved: null as string | null,
    };
    switch (d.kind) {
      case 'struct':
        return { ...base, isStruct: true, fields: d.fields.map((f) => this.field(f)), reserved: d.reserved.length > 0 ? d.reserved.join(', ') : null };
      case 'union':
        return { ...base, isUnion: true, fields: d.arms.map((f) => this.field(f)), reserved: d.reserved.length > 0 ? d.reserved.join(', ') : null };
      case 'enum':
        return { ...base, isEnum: true, members: d.members.map((m) => ({ name: m.name, value: m.value, doc: m.doc ? paragraphs(m.doc).join(' ') : null })) };
    }
  }

  build() {
    const ir = this.ir;
    const source = sourceFiles(ir);
    const packages = ir.packages.map((p) => ({
      anchor: anchor('package', p.name),
      name: p.name,
      version: p.version,
      doc: p.doc ?? null,
      summary: p.doc ? firstSentence(p.doc) : null,
      files: p.files.map(source),
      topics: ir.topics.filter((t) => t.package === p.name).map((t) => this.topic(t)),
      intents: ir.intents.filter((i) => i.package === p.name).map((i) => this.intent(i)),
      types: ir.types.filter((t) => t.package === p.name).map((t) => this.type(t)),
      errorSets: ir.errorSets
        .filter((e) => e.package === p.name)
        .map((e) => ({
          anchor: anchor('errors', e.name),
          name: e.name,
          shortName: e.shortName,
          doc: e.doc ?? null,
          members: e.members.map((m) => ({ name: m.name, value: m.value, message: m.message ?? null, doc: m.doc ? paragraphs(m.doc).join(' ') : null })),
        })),
    }));
    const capabilities = ir.capabilities.map((c) => ({
      anchor: anchor('cap', c.name),
      name: c.name,
      bit: c.bit,
      mask: maskHex([c.bit]),
      bitSource: c.bitSource,
      doc: c.doc ? paragraphs(c.doc).join(' ') : null,
    }));
    return {
      packages,
      capabilities,
      counts: { packages: packages.length, topics: ir.topics.length, intents: ir.intents.length, types: ir.types.length, capabilities: capabilities.length },
    };
  }
}

function constraintsText(c: IrConstraints): string | null {
  const parts: string[] = [];
  if (c.min !== undefined) parts.push(`min ${c.min}`);
  if (c.max !== undefined) parts.push(`max ${c.max}`);
  if (c.minLength !== undefined) parts.push(`minLength ${c.minLength}`);
  if (c.maxLength !== undefined) parts.push(`maxLength ${c.maxLength}`);
  if (c.minItems !== undefined) parts.push(`minItems ${c.minItems}`);
  if (c.maxItems !== undefined) parts.push(`maxItems ${c.maxItems}`);
  if (c.pattern !== undefined) parts.push(`pattern ${inlineCode(c.pattern)}`);
  if (c.format !== undefined) parts.push(`format ${c.format}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

function hintsText(h: IrHints): string | null {
  const names = HINT_NAMES.filter((k) => h[k] === true);
  return names.length > 0 ? names.join(', ') : null;
}

/**
 * Source files relative to the directory all of them share, so that the README does not depend on
 * where `midl gen` ran (the IR's paths are relative to the working directory, or absolute).
 */
export function sourceFiles(ir: IrProgram): (file: string) => string {
  const all = ir.packages.flatMap((p) => p.files).map((f) => f.split('/'));
  let common = all[0]?.slice(0, -1) ?? [];
  for (const parts of all) {
    let i = 0;
    while (i < common.length && i < parts.length - 1 && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return (file) => file.split('/').slice(common.length).join('/');
}

export function firstSentence(doc: string): string {
  const text = paragraphs(doc)[0] ?? '';
  const m = /^(.*?[.!?])(\s|$)/.exec(text);
  return m ? m[1]! : text;
}

export function emitReadme(ir: IrProgram): EmittedFile[] {
  return [{ path: 'README.md', content: `${renderTemplate('readme.md.hbs', new ReadmeView(ir).build()).trimEnd()}\n` }];
}

export const docsEmitter: Emitter = {
  name: 'docs',
  emit: (ir) => emitReadme(ir),
};

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { compile, expandInputs } from '../../compiler/index.ts';
import { protoFiles } from '../../bench/fixtures/proto.ts';
import { parseProto, protoCodecSource } from '../../bench/fixtures/protobufjs.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * The front-end and gen anchors read the schema as `.proto`; their ratio means something only if that
 * text holds the same schema. Checked on idl/: every declaration, field (number, label, type) and
 * topic/intent has its counterpart after protobuf.js has parsed and resolved it.
 */
describe('bench .proto fixture', () => {
  const result = compile(expandInputs([repoPath('idl')]));
  const ir = result.ir;
  const root = parseProto(protoFiles(ir));
  const lookup = (name: string) => root.lookup(name);

  it('compiles idl/ cleanly first', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('has a message per struct and union with the same fields, numbers and labels, and an enum per enum and error set', () => {
    for (const d of ir.types) {
      const found = lookup(d.name);
      if (d.kind === 'enum') {
        expect(found, d.name).toBeInstanceOf(protobuf.Enum);
        expect((found as protobuf.Enum).values).toEqual(Object.fromEntries(d.members.map((m) => [m.name, m.value])));
        continue;
      }
      expect(found, d.name).toBeInstanceOf(protobuf.Type);
      const type = found as protobuf.Type;
      const fields = d.kind === 'struct' ? d.fields : d.arms;
      expect(type.fieldsArray.map((f) => [f.name, f.id]).sort(), d.name).toEqual(fields.map((f) => [f.name, f.number]).sort());
      for (const f of fields) {
        const pf = type.fields[f.name]!;
        const many = f.type.kind === 'array';
        expect(pf.repeated, `${d.name}.${f.name} repeated`).toBe(many);
        expect(pf.map, `${d.name}.${f.name} map`).toBe(f.type.kind === 'map');
        if (d.kind === 'struct' && !many && f.type.kind !== 'map') expect(pf.required, `${d.name}.${f.name} required`).toBe(!f.optional);
        // A reference resolves to the declaration of the same name.
        const ref = f.type.kind === 'named' ? f.type : f.type.kind === 'array' && f.type.element.kind === 'named' ? f.type.element : undefined;
        if (ref) expect(pf.resolvedType?.fullName, `${d.name}.${f.name}`).toBe(`.${ref.name}`);
      }
      if (d.kind === 'union') expect(type.oneofsArray.map((o) => o.fieldsArray.length)).toEqual([d.arms.length]);
    }
    for (const e of ir.errorSets) expect(lookup(e.name), e.name).toBeInstanceOf(protobuf.Enum);
  });

  it('has an rpc per topic and per intent, with its request and reply types', () => {
    const methods = new Map<string, protobuf.Method>();
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const o of ns.nestedArray) {
        if (o instanceof protobuf.Service) for (const m of o.methodsArray) methods.set(m.name, m);
        if (o instanceof protobuf.Namespace) visit(o);
      }
    };
    visit(root);
    expect(methods.size).toBe(ir.topics.length + ir.intents.length);
    for (const t of ir.topics) {
      const m = [...methods.values()].find((x) => x.options?.['(address)'] === t.address);
      expect(m, t.address).toBeDefined();
      expect(m!.resolvedRequestType?.fullName).toBe(`.${t.payload}`);
      if (t.reply !== undefined) expect(m!.resolvedResponseType?.fullName).toBe(`.${t.reply}`);
    }
  });

  it('gives protobuf.js codec source to write for every message', () => {
    expect(protoCodecSource(root)).toBeGreaterThan(100_000);
  });
});

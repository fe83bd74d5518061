import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, repoPath } from '../helpers/repo.ts';
import { listFiles } from '../../compiler/index.ts';

/**
 * The layer rule of docs/architecture.md: runtime core → generated code → services → compiler → CLI.
 * A layer imports its own files freely and, from the layers below it, only their public entry points;
 * it never imports a layer above it. Examples are written as a user's program would be: public entry
 * points only. The package's `exports` map names exactly the entry points.
 */
const LAYERS = ['runtime', 'generated', 'services', 'compiler', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** Each layer's public entry points (repository-relative). */
const ENTRY_POINTS: Readonly<Record<Layer, readonly string[]>> = {
  runtime: ['runtime/index.ts', 'runtime/transports/index.ts', 'runtime/store/index.ts', 'runtime/ci/index.ts'],
  generated: ['generated/index.ts'],
  services: ['services/index.ts'],
  compiler: ['compiler/index.ts'],
  cli: ['cli/main.ts'],
};

/** npm packages each layer may import (besides node: built-ins); anything else is a new dependency to decide on. */
const PACKAGES: Readonly<Record<Layer, readonly string[]>> = {
  // ajv, ajv-formats: what the generated ajv validators need at run time (runtime/codec/validator-support.ts;
  // `validate` checks formats with the same table); dns-packet: types of multicast-dns's records (import
  // type only); @noble/hashes: SHA-256 of exactly-once identities (node:crypto would keep the core out of
  // browsers). @julusian/midi: RtMidi for hardware and virtual MIDI ports, imported lazily by the Node-only
  // runtime/transports/midiport. Generated code imports no package: only the runtime, so a project needs midl alone.
  runtime: ['ajv', 'ajv-formats', 'multicast-dns', 'dns-packet', '@noble/hashes', '@julusian/midi'],
  generated: [],
  // webgpu: Dawn for Node, the device behind the GPU host (services/gpu). @modelcontextprotocol/sdk: the
  // official MCP server and its stdio and Streamable HTTP transports (services/mcp). jose: reads the
  // expiry of the Flex bridge's gateway JWT (services/bridge). prom-client: the Prometheus registry and text
  // exposition of services/metrics. eventsource-parser: reads the upstream's server-sent events at the SSE
  // ingress and checks them at the egress (services/sse).
  services: ['webgpu', '@modelcontextprotocol/sdk', 'jose', 'prom-client', 'eventsource-parser'],
  compiler: ['ajv', 'ajv-formats', 'chevrotain', 'handlebars', 'yaml'],
  // typescript: operator commands strip the types of the code they generate for a schema at run time.
  // yaml: operator files (a grant policy) keep their line and column for diagnostics. diff: the unified
  // diff `midl publish --dry-run` prints of a changed registry document.
  cli: ['commander', 'typescript', 'yaml', 'diff'],
};

const posix = (p: string) => p.split(sep).join('/');

function layerOf(rel: string): Layer | 'examples' | 'bin' | undefined {
  const top = rel.split('/')[0];
  if (top === 'examples' || top === 'bin') return top;
  return (LAYERS as readonly string[]).includes(top!) ? (top as Layer) : undefined;
}

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** Repository-relative target of a relative or `midl/…` specifier; undefined for packages. */
  readonly target: string | undefined;
}

type ExportTarget = string | { readonly types: string; readonly default: string };
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { name: string; exports: Record<string, ExportTarget> };

/** The source module a path of the package stands for: `./dist/runtime/index.js` (or `.d.ts`) is `runtime/index.ts`. */
function sourceOf(path: string): string {
  return path.replace(/^\.\//, '').replace(/^dist\/(.*?)(\.d\.ts|\.js)$/, '$1.ts');
}

/** The source module an export of package.json resolves to, for both conditions (which must agree). */
function exportedSource(target: ExportTarget): string {
  if (typeof target === 'string') return sourceOf(target);
  const [types, code] = [sourceOf(target.types), sourceOf(target.default)];
  return types === code ? code : `<types ${target.types} and code ${target.default} disagree>`;
}

function importsOf(rel: string): Import[] {
  const text = readFileSync(repoPath(rel), 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: specifier }) => {
    let target: string | undefined;
    if (specifier.startsWith('.')) target = sourceOf(posix(relative(REPO_ROOT, normalize(join(dirname(repoPath(rel)), specifier)))));
    else if (specifier === pkg.name || specifier.startsWith(`${pkg.name}/`)) {
      const exported = pkg.exports[`.${specifier.slice(pkg.name.length)}`];
      target = exported === undefined ? `<not exported: ${specifier}>` : exportedSource(exported);
    }
    return { from: rel, specifier, target };
  });
}

const sources = [...LAYERS, 'examples', 'bin'].flatMap((dir) =>
  listFiles(repoPath(dir))
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
    .map((f) => `${dir}/${f}`),
);

function violation(imp: Import): string | undefined {
  const fromLayer = layerOf(imp.from)!;
  if (imp.target === undefined) {
    const name = imp.specifier.startsWith('@') ? imp.specifier.split('/').slice(0, 2).join('/') : imp.specifier.split('/')[0]!;
    if (imp.specifier.startsWith('node:') || fromLayer === 'examples' || fromLayer === 'bin') return undefined;
    return PACKAGES[fromLayer].includes(name) ? undefined : `imports the package '${name}', which ${fromLayer}/ may not use`;
  }
  if (imp.target === 'package.json') return undefined; // the version, read where it is needed
  const toLayer = layerOf(imp.target);
  if (toLayer === undefined || toLayer === 'examples' || toLayer === 'bin') return `imports ${imp.target}, outside every layer`;
  if (toLayer === fromLayer) return undefined;
  if (fromLayer !== 'examples' && fromLayer !== 'bin' && LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer))
    return `imports ${imp.target} from ${toLayer}/, a layer above ${fromLayer}/`;
  if (!ENTRY_POINTS[toLayer].includes(imp.target))
    return `imports ${imp.target}, not a public entry point of ${toLayer}/ (${ENTRY_POINTS[toLayer].join(', ')})`;
  return undefined;
}

describe('layers', () => {
  it('finds the files of every layer', () => {
    for (const layer of LAYERS)
      expect(
        sources.some((f) => f.startsWith(`${layer}/`)),
        layer,
      ).toBe(true);
  });

  it('every import goes down to a public entry point (or stays within its layer)', () => {
    const found: string[] = [];
    for (const file of sources) {
      for (const imp of importsOf(file)) {
        const why = violation(imp);
        if (why) found.push(`${imp.from}: '${imp.specifier}' ${why}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('the check itself catches an upward import, an internal module and a stray package', () => {
    expect(violation({ from: 'runtime/bus/bus.ts', specifier: '../../compiler/index.ts', target: 'compiler/index.ts' })).toMatch(/a layer above runtime/);
    expect(violation({ from: 'runtime/bus/bus.ts', specifier: '../../generated/index.ts', target: 'generated/index.ts' })).toMatch(/a layer above/);
    expect(violation({ from: 'cli/main.ts', specifier: '../runtime/bus/frame.ts', target: 'runtime/bus/frame.ts' })).toMatch(/not a public entry point/);
    expect(violation({ from: 'cli/main.ts', specifier: 'midl/runtime', target: 'runtime/index.ts' })).toBeUndefined();
    expect(violation({ from: 'runtime/bus/bus.ts', specifier: 'chevrotain', target: undefined })).toMatch(/may not use/);
    expect(violation({ from: 'examples/programs/x.ts', specifier: '../../compiler/ir/ir.ts', target: 'compiler/ir/ir.ts' })).toMatch(
      /not a public entry point/,
    );
  });

  it('package.json exports exactly the public entry points', () => {
    const exported = Object.entries(pkg.exports)
      .filter(([key]) => key !== './package.json')
      .map(([, target]) => exportedSource(target));
    const entries = LAYERS.filter((l) => l !== 'cli').flatMap((l) => ENTRY_POINTS[l]);
    expect(new Set(exported)).toEqual(new Set(entries));
  });
});

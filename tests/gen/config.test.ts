/**
 * midl.yaml: the simple form (inputs, checkOnly, output, runtimeImport) and the `generate` list of jobs,
 * and every error naming its key. The CLI turns these errors into MIDL1902 and exit 2 (tests/cli/gen-jobs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TARGETS, loadConfig, type MidlConfig } from '../../compiler/index.ts';
import { CONFIG_KEYS } from '../../compiler/config.ts';
import { catalog } from '../../compiler/diagnostics/catalog.ts';
import { removeTempProjects, tempProject } from '../helpers/cli.ts';
import { repoPath } from '../helpers/repo.ts';

afterAll(removeTempProjects);

function load(yaml: string): { dir: string; config: MidlConfig } {
  const dir = tempProject();
  writeFileSync(join(dir, 'midl.yaml'), yaml);
  return { dir, config: loadConfig(join(dir, 'midl.yaml')) };
}

function problem(yaml: string): string {
  try {
    load(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.replace(/^.*?midl\.yaml: /, '');
  }
  throw new Error(`accepted:\n${yaml}`);
}

describe('midl.yaml, simple form', () => {
  it('one input generates into output with every default target, keyed in midl.lock by its path', () => {
    const { dir, config } = load('inputs: [idl]\ncheckOnly: [examples]\nruntimeImport: ../runtime/index.ts\n');
    expect(config.generate).toEqual([
      {
        name: 'idl',
        where: 'inputs[0]',
        inputs: [join(dir, 'idl')],
        output: join(dir, 'generated'),
        runtimeImport: '../runtime/index.ts',
        targets: DEFAULT_TARGETS,
      },
    ]);
    expect(config.checkOnly).toEqual([join(dir, 'examples')]);
    expect(config.simple).toEqual({ inputs: [join(dir, 'idl')], output: join(dir, 'generated'), runtimeImport: '../runtime/index.ts' });
    expect(DEFAULT_TARGETS).not.toContain('readme');
  });

  it('several inputs get a folder each below output', () => {
    const { dir, config } = load('inputs: [a/one, b/two]\noutput: out\n');
    expect(config.generate.map((j) => [j.name, j.output, j.runtimeImport])).toEqual([
      ['a/one', join(dir, 'out/one'), 'midl/runtime'],
      ['b/two', join(dir, 'out/two'), 'midl/runtime'],
    ]);
  });

  it('two inputs with the same folder name would write one output directory: refused', () => {
    expect(problem('inputs: [a/idl, b/idl]\noutput: out\n')).toBe('inputs[0] and inputs[1] both write out/idl: each job needs an output directory of its own');
  });

  it('an output holding an input or midl.yaml is refused', () => {
    expect(problem('inputs: [idl]\noutput: .\n')).toBe(
      'the output of inputs[0] (.) holds input idl of inputs[0]: an output directory belongs to midl gen and holds generated files only',
    );
    expect(problem('inputs: [gen/idl]\noutput: gen\n')).toMatch(/^the output of inputs\[0\] \(gen\) holds input gen\/idl of inputs\[0\]/);
    expect(problem('inputs: [idl]\ncheckOnly: [out/examples]\noutput: out\n')).toMatch(/holds checkOnly entry out\/examples:/);
    expect(problem('inputs: [../idl]\noutput: .\n')).toBe(
      'the output of inputs[0] (.) holds midl.yaml: an output directory belongs to midl gen and holds generated files only',
    );
  });

  it('names unknown keys, with the generate form as a hint', () => {
    expect(problem('inputs: [idl]\noutputs: gen\n')).toBe(
      "unknown key 'outputs' (known: inputs, checkOnly, output, runtimeImport), or 'generate' for a list of jobs",
    );
    expect(problem('inputs: []\n')).toBe("'inputs' must be a list of paths with at least one entry");
    expect(problem('inputs: [idl]\noutput: ""\n')).toBe("'output' must be a path");
    expect(problem('- idl\n')).toBe("expected a mapping with 'inputs' (or a 'generate' list of jobs)");
  });
});

describe('midl.yaml, generate jobs', () => {
  const twoJobs = `generate:
  - inputs: [idl]
    output: generated
    runtimeImport: ../runtime/index.ts
  - name: runtime-protocol
    inputs: [idl/session/session.midl, idl/telemetry/telemetry.midl]
    output: runtime/protocol
    runtimeImport: ../codec/index.ts
    targets: [readme, schemas, ts]
checkOnly: [examples]
`;

  it('each job is one program with its own output, runtime import and targets (run in gen order)', () => {
    const { dir, config } = load(twoJobs);
    expect(config.simple).toBeUndefined();
    expect(config.checkOnly).toEqual([join(dir, 'examples')]);
    expect(config.generate).toEqual([
      {
        name: 'idl',
        where: 'generate[0]',
        inputs: [join(dir, 'idl')],
        output: join(dir, 'generated'),
        runtimeImport: '../runtime/index.ts',
        targets: DEFAULT_TARGETS,
      },
      {
        name: 'runtime-protocol',
        where: 'generate[1]',
        inputs: [join(dir, 'idl/session/session.midl'), join(dir, 'idl/telemetry/telemetry.midl')],
        output: join(dir, 'runtime/protocol'),
        runtimeImport: '../codec/index.ts',
        targets: ['ts', 'schemas', 'readme'],
      },
    ]);
  });

  it('a job without a name is keyed by its inputs, as the command line labels a program', () => {
    const { config } = load('generate:\n  - inputs: [a, b/c.midl]\n    output: out\n');
    expect(config.generate[0]?.name).toBe('a b/c.midl');
  });

  const job = (extra: string, output = 'out') => `generate:\n  - inputs: [idl]\n    output: ${output}\n${extra}`;

  it.each([
    [
      'simple-form keys beside it',
      'generate:\n  - inputs: [idl]\n    output: out\noutput: gen\n',
      "'output' cannot stand beside 'generate': each job of 'generate' names its own inputs, output and runtimeImport",
    ],
    ['an unknown top-level key', 'generate:\n  - inputs: [idl]\n    output: out\nwatch: true\n', "unknown key 'watch' (known: generate, checkOnly)"],
    ['an empty list', 'generate: []\n', "'generate' must be a list of jobs with at least one entry"],
    ['a job that is not a mapping', 'generate:\n  - idl\n', "'generate[0]' must be a mapping with 'inputs' and 'output'"],
    ['an unknown job key', job('    target: [ts]\n'), "unknown key 'generate[0].target' (known: name, inputs, output, runtimeImport, targets)"],
    ['a job without inputs', 'generate:\n  - output: out\n', "'generate[0].inputs' must be a list of paths with at least one entry"],
    ['a job without output', 'generate:\n  - inputs: [idl]\n', "'generate[0].output' must be a path"],
    ['an empty runtimeImport', job('    runtimeImport: ""\n'), "'generate[0].runtimeImport' must be a module specifier"],
    ['a name over two lines', job('    name: "a\\nb"\n'), "'generate[0].name' must be one line without control characters or leading and trailing spaces"],
    [
      'an empty target list',
      job('    targets: []\n'),
      "'generate[0].targets' must be a list of targets with at least one entry (known: ts, schemas, json-schema, validators, registry, client, facts, docs, readme)",
    ],
    [
      'an unknown target',
      job('    targets: [ts, schemas, typescript]\n'),
      '\'generate[0].targets\': unknown target "typescript" (known: ts, schemas, json-schema, validators, registry, client, facts, docs, readme)',
    ],
    ['a target listed twice', job('    targets: [ts, schemas, ts]\n'), "'generate[0].targets': target 'ts' is listed twice"],
    [
      'types without their schemas',
      job('    targets: [ts]\n'),
      "'generate[0].targets': 'ts' needs 'schemas' (the codecs' jsonSchema imports schemas/<package>.ts)",
    ],
    [
      'a registry without what index.ts re-exports',
      job('    targets: [ts, schemas, registry]\n'),
      "'generate[0].targets': 'registry' needs 'validators' (index.ts re-exports validators/<package>.js); 'registry' needs 'client' (index.ts re-exports client.ts)",
    ],
    ['docs and readme together', job('    targets: [docs, readme]\n'), "'generate[0].targets': 'docs' and 'readme' both write README.md; choose one"],
  ])('refuses %s', (_what, yaml, message) => {
    expect(problem(yaml)).toBe(message);
  });

  it('refuses two jobs with one lock name, one output, nested outputs, or an output holding an input', () => {
    const two = (a: string, b: string) => `generate:\n  - ${a}\n  - ${b}\n`;
    expect(problem(two('{ name: x, inputs: [a], output: out1 }', '{ name: x, inputs: [b], output: out2 }'))).toBe(
      "generate[0] and generate[1] are both named 'x' (the key of their program in midl.lock): give one a distinct 'name'",
    );
    expect(problem(two('{ inputs: [a], output: out1 }', '{ inputs: [a], output: out2 }'))).toBe(
      "generate[0] and generate[1] are both named 'a' (the key of their program in midl.lock): give one a distinct 'name'",
    );
    expect(problem(two('{ inputs: [a], output: out }', '{ inputs: [b], output: ./out/ }'))).toBe(
      'generate[0] and generate[1] both write out: each job needs an output directory of its own',
    );
    expect(problem(two('{ inputs: [a], output: runtime/protocol }', '{ inputs: [b], output: runtime }'))).toBe(
      'the output of generate[0] (runtime/protocol) lies inside the output of generate[1] (runtime): each job needs an output directory of its own',
    );
    expect(problem(two('{ inputs: [a], output: out }', '{ inputs: [gen/b], output: gen }'))).toBe(
      'the output of generate[1] (gen) holds input gen/b of generate[1]: an output directory belongs to midl gen and holds generated files only',
    );
    expect(problem(two('{ inputs: [a], output: out }', '{ inputs: [b], output: out2/../a }'))).toBe(
      'the output of generate[1] (a) holds input a of generate[0]: an output directory belongs to midl gen and holds generated files only',
    );
    expect(problem(two('{ inputs: [a], output: out }', '{ inputs: [b], output: . }'))).toBe(
      'the output of generate[0] (out) lies inside the output of generate[1] (.): each job needs an output directory of its own',
    );
    expect(problem('generate:\n  - { inputs: [a], output: . }\n')).toMatch(/^the output of generate\[0\] \(\.\) holds input a of generate\[0\]/);
  });

  it('an output beside another that shares a name prefix is not inside it', () => {
    const { config } = load('generate:\n  - { inputs: [a], output: out }\n  - { inputs: [b], output: out-protocol }\n');
    expect(config.generate).toHaveLength(2);
  });
});

/**
 * MIDL1902's section in docs/diagnostics.md follows the loader's own key lists: its fix names every key
 * midl.yaml accepts, and its example shows the message the loader really gives for that midl.yaml.
 */
describe('MIDL1902 in docs/diagnostics.md', () => {
  const doc = readFileSync(repoPath('docs/diagnostics.md'), 'utf8');
  const section = doc.slice(doc.indexOf('<a id="midl1902"></a>'), doc.indexOf('<a id="midl1903"></a>'));

  it('names every key the loader accepts', () => {
    expect(section.length).toBeGreaterThan(0);
    const fix = section.slice(section.indexOf('How to fix:'));
    const keys = [...new Set([...CONFIG_KEYS.simple, ...CONFIG_KEYS.jobs, ...CONFIG_KEYS.job])];
    expect(keys.filter((k) => !fix.includes(`\`${k}\``))).toEqual([]);
  });

  it("shows the loader's message for its example", () => {
    const example = /\$ cat midl\.yaml\n([\s\S]*?)\$ midl check\n(error\S*: [^\n]*)\n/.exec(section);
    expect(example, 'the MIDL1902 example shows `$ cat midl.yaml`, then `$ midl check` and its error line').not.toBeNull();
    const [, yaml, shown] = example!;
    // As the CLI prints it (pinned against a real `midl` process in tests/cli/gen-jobs.slow.test.ts).
    expect(`error[${catalog.invalidConfig.code}]: invalid midl.yaml: /work/project/midl.yaml: ${problem(yaml!)}`).toBe(shown);
  });
});

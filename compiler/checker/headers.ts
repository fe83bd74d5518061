import type { LoadedFile } from '../binder/load.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import type { IrPackage } from '../ir/ir.ts';

/** semver.org's official pattern. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Checks the head of every file (package, version, imports) and that each package has one version. */
export function checkHeaders(files: readonly LoadedFile[], diagnostics: DiagnosticBag): IrPackage[] {
  const versions = new Map<string, { version: string; file: string; files: string[] }>();
  const missing = new Map<string, LoadedFile>();
  for (const file of files) {
    const { headers, firstDeclPosition, file: src } = file.parsed.ast;
    const pkgHeaders = headers.filter((h) => h.kind === 'package');
    const first = headers.find((h) => h.position === 0);
    if (pkgHeaders.length === 0) {
      if (!file.parsed.hasSyntaxErrors)
        diagnostics.add(
          'packageFirst',
          {},
          { file: src, start: 0, end: Math.min(1, src.text.length) },
          { help: 'start the file with a line like `package fountain.gpu;`' },
        );
    } else if (first?.kind !== 'package') {
      diagnostics.add('packageFirst', {}, pkgHeaders[0]!.span, { help: 'move the package line to the top of the file' });
    }
    for (const kind of ['package', 'version'] as const) {
      headers
        .filter((h) => h.kind === kind)
        .slice(1)
        .forEach((h) => diagnostics.add('duplicateHeader', { keyword: kind }, h.span, { help: 'remove this line' }));
    }
    for (const h of headers) {
      if (h.position > firstDeclPosition) diagnostics.add('misplacedHeader', { keyword: h.kind }, h.span, { help: 'move it up, next to the package line' });
    }
    const pkg = pkgHeaders[0]?.value ?? '';
    const versionHeader = headers.find((h) => h.kind === 'version');
    const entry = versions.get(pkg);
    if (versionHeader?.value === undefined) {
      if (!versionHeader && !missing.has(pkg)) missing.set(pkg, file);
      if (entry) entry.files.push(src.path);
      continue;
    }
    if (!SEMVER.test(versionHeader.value)) {
      diagnostics.add('invalidVersion', { version: versionHeader.value }, versionHeader.valueSpan, {
        help: 'write three numbers, e.g. version "1.2.0"; a pre-release may follow as "1.2.0-beta.1"',
      });
      continue;
    }
    if (entry && entry.version !== versionHeader.value) {
      diagnostics.add(
        'conflictingVersion',
        { package: pkg, version: versionHeader.value, other: entry.version, otherFile: entry.file },
        versionHeader.valueSpan,
        { help: 'bump every file of the package together' },
      );
    } else if (entry) entry.files.push(src.path);
    else versions.set(pkg, { version: versionHeader.value, file: src.path, files: [src.path] });
  }
  for (const [pkg, file] of missing) {
    if (!versions.has(pkg) && pkg) {
      const h = file.parsed.ast.headers.find((x) => x.kind === 'package');
      diagnostics.add('missingVersion', { package: pkg }, h?.span, { help: 'add a line like `version "1.0.0";` after the package line' });
    }
  }
  const byPkg = new Map<string, IrPackage>();
  for (const file of files) {
    const header = file.parsed.ast.headers.find((h) => h.kind === 'package');
    const pkg = header?.value ?? '';
    const prior = byPkg.get(pkg);
    const version = versions.get(pkg)?.version ?? '0.0.0';
    const doc = [prior?.doc, header?.doc].filter(Boolean).join('\n\n');
    byPkg.set(pkg, { name: pkg, version, ...(doc ? { doc } : {}), files: [...(prior?.files ?? []), file.parsed.ast.file.path].sort() });
  }
  return [...byPkg.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

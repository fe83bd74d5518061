/**
 * The `readme` emitter: a short `README.md` for an output directory that holds code only (no `docs`):
 * that `midl gen` owns the directory, and which packages, types and error sets it holds. Rendered from
 * `templates/directory.md.hbs`.
 */
import type { IrProgram } from '../../ir/ir.ts';
import type { EmittedFile, Emitter } from '../emitter.ts';
import { tsNames } from '../shared/names.ts';
import { renderTemplate } from '../shared/templates.ts';
import { firstSentence, sourceFiles } from './index.ts';

function view(ir: IrProgram) {
  const names = tsNames(ir);
  const source = sourceFiles(ir);
  return {
    packages: ir.packages.map((p) => {
      const types = ir.types.filter((t) => t.package === p.name).map((t) => names.get(t.name) ?? t.shortName);
      const errorSets = ir.errorSets.filter((e) => e.package === p.name).map((e) => names.get(e.name) ?? e.shortName);
      return {
        name: p.name,
        version: p.version,
        summary: p.doc ? firstSentence(p.doc) : null,
        files: p.files.map(source),
        types,
        errorSets,
        empty: types.length === 0 && errorSets.length === 0,
      };
    }),
  };
}

export const readmeEmitter: Emitter = {
  name: 'readme',
  emit: (ir): EmittedFile[] => [{ path: 'README.md', content: `${renderTemplate('directory.md.hbs', view(ir)).trimEnd()}\n` }],
};

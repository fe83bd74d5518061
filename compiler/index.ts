/**
 * Public surface of the midl compiler (`midl/compiler`): the front end in one call (`compile`: text →
 * AST → IR with diagnostics), rendering diagnostics, the formatter, midl.yaml and midl.lock, and
 * generation (`generate`: IR → files, by emitter target). The CLI, tests of the CLI and benchmarks use
 * this module only; everything behind it is the compiler's own.
 */
export { compile, type CompileResult } from './program.ts';
export type { CheckOptions } from './checker/checker.ts';
export { nodeHost, type CompilerHost } from './host.ts';
export { SourceFile, type Span } from './source.ts';
export { parseFile, type ParsedFile } from './parser/parse.ts';
export { formatFile } from './format/format.ts';
export { catalog, allEntries, type CatalogEntry, type DiagnosticId, type Severity } from './diagnostics/catalog.ts';
export { createDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
export { renderAll, renderHuman, renderGithub, summaryLine, toJson, type DiagnosticFormat, type JsonDiagnostic } from './diagnostics/render.ts';
export {
  CONFIG_FILE,
  LOCK_FILE,
  DEFAULT_RUNTIME_IMPORT,
  ConfigError,
  expandInputs,
  findConfig,
  jobProblems,
  loadConfig,
  simpleJobs,
  type GenerateJob,
  type MidlConfig,
} from './config.ts';
export {
  EMPTY_LOCK,
  LockError,
  asRecordedInLock,
  readLock,
  serializeLock,
  updatedProgramLock,
  vanishedTopics,
  type LockFile,
  type ProgramLock,
} from './lock.ts';
export { ForeignFilesError, diffOutput, listFiles, writeOutput, type OutputDiff } from './output.ts';
export type { IrProgram } from './ir/ir.ts';
export { GENERATED_HEADER, GENERATED_MARKDOWN_HEADER, isGeneratedFile, type EmitOptions, type EmittedFile } from './emitters/emitter.ts';
export { generate, DEFAULT_TARGETS, EMIT_TARGETS, TargetError, targetProblems, type EmitTarget, type GenerateOptions } from './generate.ts';
export { MIDL_PACKAGE, MIDL_ROOT, MIDL_VERSION } from './version.ts';
export { TEMPLATES_DIR, renderTemplate } from './emitters/shared/templates.ts';
// Tool arguments a model produced for the OpenAI strict form, back in the schema's own form (midl mcp).
export { fromStrictArguments } from './emitters/facts/openai.ts';

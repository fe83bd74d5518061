/**
 * Documents and the layout algorithm that prints them within a line width: prettier's document
 * language (groups that print flat when they fit and broken otherwise, indents, soft and hard lines,
 * if-break, fill) and a port of its printer, so that a document built as prettier builds it prints
 * exactly as prettier prints it. Indentation is two spaces; there are no tabs, line suffixes or cursors.
 */
import { textWidth } from './width.ts';

export type Doc = string | readonly Doc[] | DocCommand;

export interface Group {
  readonly type: 'group';
  readonly contents: Doc;
  /** Set by the builder (a forced break) or by `propagateBreaks` (a hard line inside). */
  break: boolean;
  /** Conditional group: the states from flattest to most expanded; `contents` is the first. */
  readonly expandedStates?: readonly Doc[];
  readonly id?: symbol;
}

export type DocCommand =
  | Group
  | { readonly type: 'indent'; readonly contents: Doc }
  | { readonly type: 'align'; readonly width: number; readonly contents: Doc }
  | { readonly type: 'line'; readonly hard: boolean; readonly soft: boolean }
  | { readonly type: 'if-break'; readonly breakContents: Doc; readonly flatContents: Doc; readonly groupId?: symbol }
  | { readonly type: 'indent-if-break'; readonly contents: Doc; readonly groupId: symbol }
  | { readonly type: 'fill'; readonly parts: readonly Doc[] }
  | { readonly type: 'break-parent' }
  | { readonly type: 'label'; readonly label: string; readonly contents: Doc }
  | Lines;

/**
 * Lines printed when the printer reaches them: each starts with a line break and the current
 * indentation, like `[hardline, item, hardline, item…]`, but written by `render` (which gets the
 * indentation) so that every line can be laid out on its own. Like a hard line, it breaks every
 * group around it.
 */
export interface Lines {
  readonly type: 'lines';
  /** Appends the lines to `out`, each starting with `\n` and the indentation. */
  readonly render: (out: string[], indentation: number) => void;
}

// ---------------------------------------------------------------- builders

export const line: Doc = { type: 'line', hard: false, soft: false };
export const softline: Doc = { type: 'line', hard: false, soft: true };
export const breakParent: Doc = { type: 'break-parent' };
const hardlineWithoutBreakParent: Doc = { type: 'line', hard: true, soft: false };
export const hardline: Doc = [hardlineWithoutBreakParent, breakParent];

export function group(contents: Doc, options: { shouldBreak?: boolean; id?: symbol } = {}): Group {
  return { type: 'group', contents, break: options.shouldBreak === true, ...(options.id ? { id: options.id } : {}) };
}

/** A group printed as the first of `states` that fits, else as the last one broken. */
export function conditionalGroup(states: readonly Doc[]): Group {
  return { type: 'group', contents: states[0]!, break: false, expandedStates: states };
}

export function indent(contents: Doc): Doc {
  return { type: 'indent', contents };
}

export function align(width: number, contents: Doc): Doc {
  return { type: 'align', width, contents };
}

export function ifBreak(breakContents: Doc, flatContents: Doc = '', groupId?: symbol): Doc {
  return { type: 'if-break', breakContents, flatContents, ...(groupId ? { groupId } : {}) };
}

export function indentIfBreak(contents: Doc, groupId: symbol): Doc {
  return { type: 'indent-if-break', contents, groupId };
}

export function fill(parts: readonly Doc[]): Doc {
  return { type: 'fill', parts };
}

export function label(name: string, contents: Doc): Doc {
  return { type: 'label', label: name, contents };
}

export function join(separator: Doc, docs: readonly Doc[]): Doc[] {
  const out: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push(separator);
    out.push(d);
  });
  return out;
}

// ---------------------------------------------------------------- queries

/**
 * Whether `test` holds for any command in the document (strings are text and never match): the one
 * walk behind the queries below, as prettier's findInDoc.
 */
function someCommand(doc: Doc, test: (d: DocCommand) => boolean): boolean {
  const stack: Doc[] = [doc];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (typeof d === 'string') continue;
    if (isArray(d)) {
      for (const p of d) stack.push(p);
      continue;
    }
    if (test(d)) return true;
    switch (d.type) {
      case 'if-break':
        stack.push(d.breakContents, d.flatContents);
        break;
      case 'fill':
        for (const p of d.parts) stack.push(p);
        break;
      case 'group':
      case 'indent':
      case 'align':
      case 'indent-if-break':
      case 'label':
        stack.push(d.contents);
    }
  }
  return false;
}

/** Whether the document surely breaks: a forced group, a hard line or a break-parent anywhere inside. */
export function willBreak(doc: Doc): boolean {
  return someCommand(doc, (d) => (d.type === 'group' && d.break) || (d.type === 'line' && d.hard) || d.type === 'break-parent' || d.type === 'lines');
}

/** Whether the document has any line at all (one that could break). */
export function canBreak(doc: Doc): boolean {
  return someCommand(doc, (d) => d.type === 'line' || d.type === 'lines');
}

/** The document with every soft or plain line printed flat (a space or nothing), as prettier's removeLines. */
export function removeLines(doc: Doc): Doc {
  if (typeof doc === 'string') return doc;
  if (isArray(doc)) return doc.map(removeLines);
  switch (doc.type) {
    case 'line':
      return doc.hard ? doc : doc.soft ? '' : ' ';
    case 'if-break':
      return removeLines(doc.flatContents);
    case 'group':
      return doc.expandedStates
        ? { ...doc, contents: removeLines(doc.contents), expandedStates: doc.expandedStates.map(removeLines) }
        : { ...doc, contents: removeLines(doc.contents) };
    case 'fill':
      return { ...doc, parts: doc.parts.map(removeLines) };
    case 'indent':
    case 'align':
    case 'indent-if-break':
    case 'label':
      return { ...doc, contents: removeLines(doc.contents) };
    default:
      return doc;
  }
}

function isArray(doc: Doc): doc is readonly Doc[] {
  return Array.isArray(doc);
}

// ---------------------------------------------------------------- printer

const MODE_BREAK = 0;
const MODE_FLAT = 1;
type Mode = typeof MODE_BREAK | typeof MODE_FLAT;

interface Command {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
  /** For a fill: how many of its parts are printed already. */
  readonly fillOffset?: number;
}

/** Marks every group that contains a hard break as broken; conditional groups stop the propagation. */
function propagateBreaks(doc: Doc): void {
  const visited = new Set<Group>();
  const groups: Group[] = [];
  const exit = Symbol('exit');
  const stack: (Doc | typeof exit)[] = [doc];
  const breakParentGroup = () => {
    const parent = groups[groups.length - 1];
    if (parent && !parent.expandedStates && !parent.break) parent.break = true;
  };
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (d === exit) {
      if (groups.pop()!.break) breakParentGroup();
      continue;
    }
    if (typeof d === 'string') continue;
    if (isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push(d[i]!);
      continue;
    }
    switch (d.type) {
      case 'break-parent':
      case 'lines':
        breakParentGroup();
        break;
      case 'group': {
        groups.push(d);
        stack.push(exit);
        if (visited.has(d)) break;
        visited.add(d);
        if (d.expandedStates) for (let i = d.expandedStates.length - 1; i >= 0; i--) stack.push(d.expandedStates[i]!);
        else stack.push(d.contents);
        break;
      }
      case 'if-break':
        stack.push(d.flatContents, d.breakContents);
        break;
      case 'fill':
        for (let i = d.parts.length - 1; i >= 0; i--) stack.push(d.parts[i]!);
        break;
      case 'indent':
      case 'align':
      case 'indent-if-break':
      case 'label':
        stack.push(d.contents);
    }
  }
}

/**
 * Whether `next` printed in its mode, followed by `rest` (the commands after it, read from the end),
 * fits in `width` columns up to the first line break.
 */
function fits(next: Command, rest: readonly Command[], width: number, groupModes: ReadonlyMap<symbol, Mode>, mustBeFlat: boolean): boolean {
  if (width === Infinity) return true;
  let restIndex = rest.length;
  const cmds: { mode: Mode; doc: Doc; fillOffset?: number }[] = [next];
  let remaining = width;
  // A space counts only once something follows it on the line.
  let pendingSpace = false;
  while (remaining >= 0) {
    if (cmds.length === 0) {
      if (restIndex === 0) return true;
      cmds.push(rest[--restIndex]!);
      continue;
    }
    const { mode, doc, fillOffset } = cmds.pop()!;
    if (typeof doc === 'string') {
      if (doc !== '') {
        if (pendingSpace) remaining -= 1;
        pendingSpace = false;
        remaining -= textWidth(doc);
      }
      continue;
    }
    if (isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) cmds.push({ mode, doc: doc[i]! });
      continue;
    }
    switch (doc.type) {
      case 'fill':
        for (let i = doc.parts.length - 1; i >= (fillOffset ?? 0); i--) cmds.push({ mode, doc: doc.parts[i]! });
        break;
      case 'indent':
      case 'align':
      case 'indent-if-break':
      case 'label':
        cmds.push({ mode, doc: doc.contents });
        break;
      case 'group': {
        if (mustBeFlat && doc.break) return false;
        const groupMode = doc.break ? MODE_BREAK : mode;
        const contents = doc.expandedStates && groupMode === MODE_BREAK ? doc.expandedStates[doc.expandedStates.length - 1]! : doc.contents;
        cmds.push({ mode: groupMode, doc: contents });
        break;
      }
      case 'if-break': {
        const groupMode = doc.groupId ? (groupModes.get(doc.groupId) ?? MODE_FLAT) : mode;
        cmds.push({ mode, doc: groupMode === MODE_BREAK ? doc.breakContents : doc.flatContents });
        break;
      }
      case 'line':
        if (mode === MODE_BREAK || doc.hard) return true;
        if (!doc.soft) pendingSpace = true;
        break;
      case 'lines':
        return true;
      case 'break-parent':
        break;
    }
  }
  return false;
}

/** Prints `doc` within `width` columns; lines end with `\n` and never with spaces. */
export function printDoc(doc: Doc, width: number): string {
  const out: string[] = [];
  printDocInto(out, doc, width, 0);
  return out.join('');
}

/**
 * Appends `doc` printed within `width` columns to `out`, as if it started at column `indentation`
 * of a line indented that much.
 */
export function printDocInto(out: string[], doc: Doc, width: number, indentation: number): void {
  propagateBreaks(doc);
  const groupModes = new Map<symbol, Mode>();
  let pos = indentation;
  let shouldRemeasure = false;
  const cmds: Command[] = [{ indent: indentation, mode: MODE_BREAK, doc }];
  while (cmds.length > 0) {
    const cmd = cmds.pop()!;
    const { indent: ind, mode, doc: d } = cmd;
    if (typeof d === 'string') {
      if (d !== '') {
        out.push(d);
        pos += textWidth(d);
      }
      continue;
    }
    if (isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) cmds.push({ indent: ind, mode, doc: d[i]! });
      continue;
    }
    switch (d.type) {
      case 'indent':
        cmds.push({ indent: ind + 2, mode, doc: d.contents });
        break;
      case 'align':
        cmds.push({ indent: ind + d.width, mode, doc: d.contents });
        break;
      case 'label':
        cmds.push({ indent: ind, mode, doc: d.contents });
        break;
      case 'break-parent':
        break;
      case 'lines': {
        if (mode === MODE_FLAT) shouldRemeasure = true;
        trimTrailingSpaces(out);
        const start = out.length;
        d.render(out, ind);
        pos = lastLineWidth(out, start);
        break;
      }
      case 'group': {
        let next: Command;
        if (mode === MODE_FLAT && !shouldRemeasure) {
          next = { indent: ind, mode: d.break ? MODE_BREAK : MODE_FLAT, doc: d.contents };
        } else {
          shouldRemeasure = false;
          const remaining = width - pos;
          const flat: Command = { indent: ind, mode: MODE_FLAT, doc: d.contents };
          if (!d.break && fits(flat, cmds, remaining, groupModes, false)) next = flat;
          else if (!d.expandedStates) next = { indent: ind, mode: MODE_BREAK, doc: d.contents };
          else {
            const states = d.expandedStates;
            const last = states[states.length - 1]!;
            next = { indent: ind, mode: MODE_BREAK, doc: last };
            if (!d.break) {
              for (let i = 1; i < states.length - 1; i++) {
                const state: Command = { indent: ind, mode: MODE_FLAT, doc: states[i]! };
                if (fits(state, cmds, remaining, groupModes, false)) {
                  next = state;
                  break;
                }
              }
            }
          }
        }
        cmds.push(next);
        if (d.id) groupModes.set(d.id, next.mode);
        break;
      }
      case 'fill': {
        // Parts alternate content and separator; each separator breaks only when the content after it does not fit.
        const remaining = width - pos;
        const offset = cmd.fillOffset ?? 0;
        const parts = d.parts;
        const length = parts.length - offset;
        if (length === 0) break;
        const content = parts[offset]!;
        const contentFlat: Command = { indent: ind, mode: MODE_FLAT, doc: content };
        const contentBreak: Command = { indent: ind, mode: MODE_BREAK, doc: content };
        const contentFits = fits(contentFlat, [], remaining, groupModes, true);
        if (length === 1) {
          cmds.push(contentFits ? contentFlat : contentBreak);
          break;
        }
        const whitespace = parts[offset + 1]!;
        const whitespaceFlat: Command = { indent: ind, mode: MODE_FLAT, doc: whitespace };
        const whitespaceBreak: Command = { indent: ind, mode: MODE_BREAK, doc: whitespace };
        if (length === 2) {
          if (contentFits) cmds.push(whitespaceFlat, contentFlat);
          else cmds.push(whitespaceBreak, contentBreak);
          break;
        }
        const second = parts[offset + 2]!;
        const restCommand: Command = { indent: ind, mode, doc: d, fillOffset: offset + 2 };
        const bothFit = fits({ indent: ind, mode: MODE_FLAT, doc: [content, whitespace, second] }, [], remaining, groupModes, true);
        cmds.push(restCommand);
        if (bothFit) cmds.push(whitespaceFlat, contentFlat);
        else if (contentFits) cmds.push(whitespaceBreak, contentFlat);
        else cmds.push(whitespaceBreak, contentBreak);
        break;
      }
      case 'if-break':
      case 'indent-if-break': {
        const groupMode = d.groupId ? groupModes.get(d.groupId) : mode;
        if (d.type === 'if-break') {
          const contents = groupMode === MODE_BREAK ? d.breakContents : groupMode === MODE_FLAT ? d.flatContents : '';
          if (contents !== '') cmds.push({ indent: ind, mode, doc: contents });
        } else if (groupMode === MODE_BREAK) cmds.push({ indent: ind + 2, mode, doc: d.contents });
        else if (groupMode === MODE_FLAT) cmds.push({ indent: ind, mode, doc: d.contents });
        break;
      }
      case 'line':
        if (mode === MODE_FLAT && !d.hard) {
          if (!d.soft) {
            out.push(' ');
            pos += 1;
          }
          break;
        }
        if (mode === MODE_FLAT) shouldRemeasure = true;
        trimTrailingSpaces(out);
        out.push('\n' + ' '.repeat(ind));
        pos = ind;
        break;
    }
  }
  trimTrailingSpaces(out);
}

/** The width of the last line of what `out` holds from `start` on (which begins with a line break). */
function lastLineWidth(out: readonly string[], start: number): number {
  let width = 0;
  for (let i = out.length - 1; i >= start; i--) {
    const piece = out[i]!;
    const nl = piece.lastIndexOf('\n');
    if (nl >= 0) return width + textWidth(piece.slice(nl + 1));
    width += textWidth(piece);
  }
  return width;
}

function trimTrailingSpaces(out: string[]): void {
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    const end = last.charCodeAt(last.length - 1);
    if (end !== 32 && end !== 9) return;
    const trimmed = last.replace(/[ \t]+$/, '');
    if (trimmed === last) return;
    if (trimmed === '') out.pop();
    else {
      out[out.length - 1] = trimmed;
      return;
    }
  }
}

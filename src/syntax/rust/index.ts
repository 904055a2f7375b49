// The Rust front end: a tree-sitter tree of a .rs file -> IR. Functions,
// methods, trait-impl methods and closures become control-flow graphs of
// GPUVM lifecycle events; the file says its API generation, VM mode, ops
// tables and review comments; the hygiene rules are checked on the tree.

import type { IrFile, IrFunction } from '../../analysis/ir';
import { optionsKey, type Frontend } from '../frontend';
import { lowerFnItem, rolesOf } from './function';
import { hygieneFindings } from './hygiene';
import { collectItems, detectGeneration, vmEvidence, type FileItems, type TopItem } from './items';
import { lowerLight, needsFullLowering, stateWords, type StateWords } from './light';
import type { FileCtx } from './lower';
import { SourceText } from './source';
import { spanOf } from '../lines';

export const rustFrontend: Frontend = {
  language: 'rust',
  extensions: ['.rs'],
  parser: (p) => p.rust,
  lower(tree, text, file, opts): IrFile {
    const root = tree.rootNode;
    const src = new SourceText(text);
    const cache = opts.cache;
    cache?.open();
    const items = collectItems(root, src, cache?.memo<TopItem>('rust-items'));
    const detected = detectGeneration(text);
    const gen = opts.apiGeneration ?? detected;
    const genSource = opts.apiGeneration ? `the API generation setting (${gen})` : `API generation ${gen}`;
    const vmInits = vmEvidence(root, src, gen, genSource);
    const ctx: FileCtx = {
      file, src, items, gen: gen ?? 'upstream', opts, closures: [], usedIds: new Set(),
      ...(vmInits.some((v) => v.immediate) ? { immediate: true } : {}),
    };
    const functions: IrFunction[] = [];
    const parseErrors: IrFile['parseErrors'] = [];
    const context = cache ? contextKey(text, items, ctx) : '';
    cache?.begin(context);
    // What the file's types and signatures say: the same for the same context.
    const wordsMemo = cache?.memo<StateWords>('rust-state-words');
    let words = wordsMemo?.get(context);
    if (!words) {
      words = stateWords(items, src.code);
      wordsMemo?.set(context, words);
    }
    // A function's text (and its text as lexed: a quote above may have opened a string) with where it sits;
    // two with the same (same text in two impls of a trait) are always lowered.
    const keys = cache ? items.fns.map((f) => `${f.implTypeText ?? ''}:${f.traitName ?? ''}:${f.column}:${f.above.map((c) => c.text).join('\n')}:${text.slice(f.start, f.end)}\u0000${src.code.slice(f.start, f.end)}`) : [];
    const twice = repeated(keys);
    for (const [i, item] of items.fns.entries()) {
      if (item.bodyStart === undefined) continue;
      const key = keys[i] !== undefined && !twice.has(keys[i]) ? keys[i] : undefined;
      const line = item.row;
      const cached = key !== undefined ? cache?.get(key, line, item.start) : undefined;
      if (cached) {
        for (const f of cached) ctx.usedIds.add(f.id);
        functions.push(...cached);
        continue;
      }
      try {
        // Most functions of a driver cannot touch GPUVM state: their calls are read from the text.
        const light = needsFullLowering(item, src.code.slice(item.start, item.end), words) ? undefined : lowerLight(ctx, item, rolesOf(item));
        const fns = light ? [light] : lowerFnItem(ctx, item);
        if (key !== undefined) cache?.put(key, line, item.start, fns);
        functions.push(...fns);
      } catch (e) {
        // A construct the lowering does not handle must not cost the rest of the file.
        parseErrors.push({ span: spanOf(item.node), message: `${item.name}: not analysed (${e instanceof Error ? e.message : String(e)})` });
      }
    }
    cache?.end();
    if (root.hasError) {
      for (const e of root.descendantsOfType('ERROR')) {
        if (e) parseErrors.push({ span: spanOf(e), message: `syntax error: \`${e.text.slice(0, 40).replace(/\s+/g, ' ')}\` could not be parsed` });
      }
    }
    const out: IrFile = {
      file, language: 'rust', functions,
      vmInits,
      lineSuppressions: src.suppressions(),
      callbacks: items.callbacks,
      syntaxFindings: hygieneFindings(root, src, items),
      parseErrors,
    };
    if (gen) out.apiGeneration = gen;
    return out;
  },
};

/**
 * What lowering one function reads besides its own text: the file outside the
 * function bodies (items, signatures, types, comments above), what is read
 * from bodies for the whole file (projections, ops tables, handle types, the
 * VM mode), and the options.
 */
function contextKey(text: string, items: FileItems, ctx: FileCtx): string {
  // Ops tables and Drop impls may sit in bodies.
  const parts: string[] = [optionsKey(ctx.opts), ctx.gen, ctx.immediate ? 'immediate' : '', JSON.stringify(items.callbacks), JSON.stringify([...items.defs.handles])];
  let at = 0;
  for (const f of items.fns) {
    parts.push(f.projection ? 'p' : '');
    if (f.bodyStart === undefined || f.bodyStart < at) continue;
    parts.push(text.slice(at, f.bodyStart));
    at = f.bodyEnd!;
  }
  parts.push(text.slice(at));
  // Blank lines only move what follows (the comments above each function are in its own key).
  return parts.join('\u0000').replace(/\n[ \t]*(?=\n)/g, '');
}

function repeated(keys: string[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const k of keys) (seen.has(k) ? twice : seen).add(k);
  return twice;
}

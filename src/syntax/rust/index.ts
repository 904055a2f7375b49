// The Rust front end: a tree-sitter tree of a .rs file -> IR. Functions,
// methods, trait-impl methods and closures become control-flow graphs of
// GPUVM lifecycle events; the file says its API generation, VM mode, ops
// tables and review comments; the hygiene rules are checked on the tree.

import type { IrFile, IrFunction } from '../../analysis/ir';
import type { Frontend } from '../frontend';
import { lowerFnItem, rolesOf } from './function';
import { hygieneFindings } from './hygiene';
import { collectItems, detectGeneration, vmEvidence } from './items';
import { lowerLight, needsFullLowering, stateWords } from './light';
import type { FileCtx } from './lower';
import { LineTable } from './snode';
import { SourceText, spanOf } from './source';

export const rustFrontend: Frontend = {
  language: 'rust',
  extensions: ['.rs'],
  parser: (p) => p.rust,
  lower(tree, text, file, opts): IrFile {
    const root = tree.rootNode;
    const src = new SourceText(text);
    const items = collectItems(root, src);
    const detected = detectGeneration(text);
    const gen = opts.apiGeneration ?? detected;
    const genSource = opts.apiGeneration ? `the API generation setting (${gen})` : `API generation ${gen}`;
    const vmInits = vmEvidence(root, src, gen, genSource);
    const ctx: FileCtx = {
      file, src, lines: new LineTable(text), items, gen: gen ?? 'upstream', opts, closures: [], usedIds: new Set(),
      ...(vmInits.some((v) => v.immediate) ? { immediate: true } : {}),
    };
    const functions: IrFunction[] = [];
    const parseErrors: IrFile['parseErrors'] = [];
    const words = stateWords(items, src.code);
    for (const item of items.fns) {
      if (!item.body) continue;
      try {
        // Most functions of a driver cannot touch GPUVM state: their calls are read from the text.
        const light = needsFullLowering(item, src.code.slice(item.node.startIndex, item.node.endIndex), words) ? undefined : lowerLight(ctx, item, rolesOf(item));
        functions.push(...(light ? [light] : lowerFnItem(ctx, item)));
      } catch (e) {
        // A construct the lowering does not handle must not cost the rest of the file.
        parseErrors.push({ span: spanOf(item.node), message: `${item.name}: not analysed (${e instanceof Error ? e.message : String(e)})` });
      }
    }
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

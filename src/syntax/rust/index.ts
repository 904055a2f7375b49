// The rust front end is not built yet: files are parsed and reported as not reviewed.

import type { IrFile } from '../../analysis/ir';
import { emptyIrFile, type Frontend } from '../frontend';

export const rustFrontend: Frontend = {
  language: 'rust',
  extensions: ['.rs'],
  parser: (p) => p.rust,
  lower(tree, _text, file): IrFile {
    const f = emptyIrFile(file, 'rust');
    f.parseErrors.push({ span: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, startIndex: 0, endIndex: 0 }, message: `rust review is not available yet (${tree.rootNode.childCount} top-level items)` });
    return f;
  },
};

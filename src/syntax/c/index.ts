// The C front end: kernel C (tree-sitter-c, with kernel-macro recovery) lowered
// to the analysis IR.

import type { IrFile } from '../../analysis/ir';
import type { Frontend } from '../frontend';
import { blankAnnotations } from './annotations';
import { lowerCFile } from './file';
import { surveyC } from './survey';

export const cFrontend: Frontend = {
  language: 'c',
  extensions: ['.c', '.h'],
  parser: (p) => p.c,
  lower(tree, text, file, opts): IrFile {
    return lowerCFile(tree, text, file, opts);
  },
  prepare: blankAnnotations,
  survey: surveyC,
};

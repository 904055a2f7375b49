// Typed access to the gpuvmReview.* settings, read per document (resource scope).

import * as vscode from 'vscode';
import { toReviewOptions, type ReviewConfig } from '../config';
import type { ReviewOptions } from '../review';

export interface EditorSettings {
  run: 'onType' | 'onSave';
  debounceMs: number;
  maxFileSizeKb: number;
  codeLens: boolean;
  hover: boolean;
  review: ReviewOptions;
  problems: string[];
}

export const SECTION = 'gpuvmReview';

export function readSettings(scope?: vscode.Uri): EditorSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const resv = c.get<string>('resvProtected', 'auto');
  const rc: ReviewConfig = {
    vmMode: c.get<'auto' | 'immediate' | 'staged'>('vmMode', 'auto'),
    resvProtected: resv === 'yes' ? true : resv === 'no' ? false : 'auto',
    apiGeneration: c.get<ReviewConfig['apiGeneration']>('apiGeneration', 'auto'),
    signallingFunctions: c.get<string[]>('signallingFunctions', []),
    signallingMarkers: c.get<string[]>('signallingMarkers', []),
    obtainPrealloc: c.get<'auto' | 'self-locks' | 'caller-locks'>('obtainPrealloc', 'auto'),
    rules: { customizations: c.get<unknown[]>('rules.customizations', []) },
    budget: { states: c.get<number>('budget.states', 6000), ms: c.get<number>('budget.ms', 400) },
  };
  const { opts, problems } = toReviewOptions(rc);
  return {
    run: c.get<'onType' | 'onSave'>('run', 'onType'),
    debounceMs: Math.max(0, c.get<number>('debounceMs', 250)),
    maxFileSizeKb: Math.max(1, c.get<number>('maxFileSizeKb', 2048)),
    codeLens: c.get<boolean>('codeLens.enable', true),
    hover: c.get<boolean>('hover.enable', true),
    review: opts,
    problems,
  };
}

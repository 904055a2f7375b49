// Configuration shared by the CLI (--config FILE, a JSON object) and the
// editor settings (gpuvmReview.*): the same keys, the same meaning.

import type { ReviewOptions } from './review';
import { validCustomizations } from './analysis/severity';

export interface ReviewConfig {
  /** "auto" (from drm_gpuvm_init flags / the API generation), "immediate" or "staged". */
  vmMode?: 'auto' | 'immediate' | 'staged';
  /** "auto", true or false. */
  resvProtected?: 'auto' | boolean;
  apiGeneration?: 'auto' | 'upstream' | 'series' | 'asahi';
  /** Functions (name or Type::method) that are signalling-path entry points. */
  signallingFunctions?: string[];
  /** Extra comment markers meaning "this function is in the signalling path". */
  signallingMarkers?: string[];
  /** auto: the current contract, or the older one on a VM the code shows in staged mode. */
  obtainPrealloc?: 'auto' | 'self-locks' | 'caller-locks';
  rules?: { customizations?: unknown };
  budget?: { states?: number; ms?: number };
}

export function toReviewOptions(c: ReviewConfig): { opts: ReviewOptions; problems: string[] } {
  const problems: string[] = [];
  const opts: ReviewOptions = {};
  const mode: { immediate?: boolean; resvProtected?: boolean } = {};
  if (c.vmMode === 'immediate') mode.immediate = true;
  else if (c.vmMode === 'staged') mode.immediate = false;
  else if (c.vmMode !== undefined && c.vmMode !== 'auto') problems.push(`vmMode must be auto, immediate or staged`);
  if (typeof c.resvProtected === 'boolean') mode.resvProtected = c.resvProtected;
  if (Object.keys(mode).length) opts.mode = mode;
  if (c.apiGeneration && c.apiGeneration !== 'auto') {
    if (['upstream', 'series', 'asahi'].includes(c.apiGeneration)) opts.apiGeneration = c.apiGeneration;
    else problems.push('apiGeneration must be auto, upstream, series or asahi');
  }
  if (c.signallingFunctions) opts.signallingFunctions = c.signallingFunctions.filter((s) => typeof s === 'string');
  if (c.signallingMarkers) opts.signallingMarkers = c.signallingMarkers.filter((s) => typeof s === 'string');
  if (c.obtainPrealloc === 'self-locks' || c.obtainPrealloc === 'caller-locks') opts.obtainPrealloc = c.obtainPrealloc;
  else if (c.obtainPrealloc !== undefined && c.obtainPrealloc !== 'auto') problems.push('obtainPrealloc must be auto, self-locks or caller-locks');
  const cz = validCustomizations(c.rules?.customizations);
  problems.push(...cz.problems);
  if (cz.ok.length) opts.customizations = cz.ok;
  if (c.budget) {
    const b: { states?: number; ms?: number } = {};
    if (typeof c.budget.states === 'number' && c.budget.states > 0) b.states = c.budget.states;
    if (typeof c.budget.ms === 'number' && c.budget.ms > 0) b.ms = c.budget.ms;
    opts.explore = { budget: { states: b.states ?? 6000, ms: b.ms ?? 400 } };
  }
  return { opts, problems };
}

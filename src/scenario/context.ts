// Entering a scenario context: where it runs (signalling path or not, atomic)
// and what the trace says about it. Shared by the sequential runner and the
// interleaving explorer, so a context means the same in both.

import { CONTEXT_BY_NAME } from '../model/contexts';
import type { ExecContext, ModelState } from '../model/state';
import type { ContextBlock, Scenario } from './parse';

/** "run_job", "ioctl vm_bind": how a context is named in traces and findings. */
export function contextTitle(block: ContextBlock): string {
  return block.name === block.kind ? block.kind : `${block.kind} ${block.name}`;
}

/** Whether any VM of the state is in immediate mode (sm_step callbacks are then in the signalling path). */
export function anyImmediateVm(state: ModelState): boolean {
  return Object.values(state.objects).some((o) => o.kind === 'vm' && o.immediateMode === true);
}

export function contextFor(block: ContextBlock, vmImmediate: boolean): ExecContext {
  const kind = CONTEXT_BY_NAME.get(block.kind)!;
  const sig = kind.signalling === 'always' || (kind.signalling === 'immediate' && vmImmediate);
  return {
    name: block.name, signalling: sig ? 1 : 0, begins: 0, atomic: kind.atomic ? 1 : 0,
    signallingFrom: sig ? [{ origin: `${block.line}`, label: contextTitle(block) }] : [],
  };
}

export function enterContext(state: ModelState, block: ContextBlock, vmImmediate: boolean): void {
  state.ctx = contextFor(block, vmImmediate);
}

export function contextNotes(state: { ctx: ExecContext }, block: ContextBlock): string[] {
  const kind = CONTEXT_BY_NAME.get(block.kind)!;
  const notes = [kind.summary];
  if (state.ctx.signalling) notes.push('in the DMA-fence signalling critical path');
  if (kind.signalling === 'immediate' && !state.ctx.signalling) notes.push('not in the signalling path: the VM is in staged mode');
  return notes;
}

/** A scenario with `concurrent` contexts runs them as threads. */
export function hasThreads(sc: Scenario): boolean {
  return sc.contexts.some((c) => c.concurrent === true);
}

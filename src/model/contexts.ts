// Where code runs, and what that implies. Kernel knowledge: which entry points
// are in the DMA-fence signalling critical path.

export interface ContextKind {
  name: string;
  /** always: in the signalling path; immediate: only when the VM is in immediate mode. */
  signalling: 'never' | 'always' | 'immediate';
  atomic: boolean;
  summary: string;
}

export const CONTEXT_KINDS: readonly ContextKind[] = [
  { name: 'ioctl', signalling: 'never', atomic: false, summary: 'process context: an ioctl such as VM_BIND preparing a job' },
  { name: 'process', signalling: 'never', atomic: false, summary: 'process context' },
  { name: 'setup', signalling: 'never', atomic: false, summary: 'declarations and set-up' },
  { name: 'workqueue', signalling: 'never', atomic: false, summary: 'a work item on an ordinary workqueue (not a fence-signalling one)' },
  { name: 'thread', signalling: 'never', atomic: false, summary: 'a kernel thread' },
  { name: 'run_job', signalling: 'always', atomic: false, summary: 'drm_sched_backend_ops.run_job: the DMA-fence signalling critical path' },
  { name: 'submit', signalling: 'always', atomic: false, summary: 'a job-queue submit callback: the DMA-fence signalling critical path' },
  { name: 'free_job', signalling: 'always', atomic: false, summary: 'drm_sched_backend_ops.free_job: may run from the signalling path' },
  { name: 'sm_step_map', signalling: 'immediate', atomic: false, summary: 'drm_gpuvm_ops.sm_step_map: in run_job for an immediate-mode VM' },
  { name: 'sm_step_remap', signalling: 'immediate', atomic: false, summary: 'drm_gpuvm_ops.sm_step_remap: in run_job for an immediate-mode VM' },
  { name: 'sm_step_unmap', signalling: 'immediate', atomic: false, summary: 'drm_gpuvm_ops.sm_step_unmap: in run_job for an immediate-mode VM' },
  { name: 'signalling', signalling: 'always', atomic: false, summary: 'code declared to run in the signalling path' },
  { name: 'irq', signalling: 'always', atomic: true, summary: 'an interrupt handler: atomic, and it signals fences' },
];

export const CONTEXT_BY_NAME: ReadonlyMap<string, ContextKind> = new Map(CONTEXT_KINDS.map((c) => [c.name, c]));

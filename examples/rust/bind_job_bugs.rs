// SPDX-License-Identifier: GPL-2.0 or MIT
//! Example: a VM_BIND job on the upstream `kernel::drm::gpuvm` API with three
//! bugs `gpuvm-review check` reports:
//!
//! - `run_job()` maps through a helper that calls `GpuVm::obtain()`: obtain
//!   allocates the vm_bo with GFP_KERNEL and may take the VM's dma_resv, in
//!   the DMA-fence signalling path (signalling-alloc, signalling-resv-lock).
//!   The fix: obtain the vm_bo in the ioctl, keep it in the job.
//! - `bind_now()` has a `?` between `obtain()` and `deferred_cleanup()`: on
//!   that path the vm_bo's deferred put is never flushed
//!   (deferred-cleanup-missing). The fix: allocate before obtain().
//! - An unsafe block without a `// SAFETY:` comment.

use core::ops::Range;
use kernel::drm::gpuvm::{GpuVaAlloc, GpuVm, GpuVmBo, OpMapRequest, UniqueRefGpuVm};
use kernel::sync::{aref::ARef, Arc, Mutex};

pub(crate) struct VmData;

pub(crate) struct Vm {
    unique: Mutex<UniqueRefGpuVm<VmData>>,
    gpuvm: ARef<GpuVm<VmData>>,
    pt: PageTable,
}

pub(crate) struct BindJob {
    vm: Arc<Vm>,
    bo: ARef<Bo>,
    va: Range<u64>,
    offset: u64,
    seqno: *const u32,
}

impl Vm {
    /// Maps `bo` at `va`, doing all the work in one go.
    fn map_bo(&self, bo: &Bo, va: &Range<u64>, offset: u64, ctx: &mut StepCtx) -> Result {
        let vm_bo = self.gpuvm.obtain(bo, ())?;
        let mut unique = self.unique.lock();
        unique.sm_map(OpMapRequest { addr: va.start, range: va.end - va.start, gem_offset: offset, vm_bo: &vm_bo, context: ctx })
    }

    pub(crate) fn bind_now(&self, bo: &Bo, va: Range<u64>, offset: u64) -> Result {
        let vm_bo = self.gpuvm.obtain(bo, ())?;
        // Allocated after obtain(): when this fails, vm_bo is dropped and the
        // cleanup below is skipped.
        let mut ctx = StepCtx::new(&self.pt, [Some(GpuVaAlloc::new(GFP_KERNEL)?), None, None]);
        let result = {
            let mut unique = self.unique.lock();
            unique.sm_map(OpMapRequest { addr: va.start, range: va.end - va.start, gem_offset: offset, vm_bo: &vm_bo, context: &mut ctx })
        };
        drop(vm_bo);
        self.gpuvm.deferred_cleanup();
        result
    }
}

impl BindJob {
    fn last_seqno(&self) -> u32 {
        unsafe { core::ptr::read_volatile(self.seqno) }
    }
}

impl sched::JobImpl for BindJob {
    fn run_job(&self, ctx: &mut StepCtx) -> Result {
        if self.last_seqno() == 0 {
            return Err(EAGAIN);
        }
        self.vm.map_bo(&self.bo, &self.va, self.offset, ctx)
    }
}

// SPDX-License-Identifier: GPL-2.0
//! A small immediate-mode VM on the upstream GPUVM bindings, used by the
//! end-to-end test: one correct map path and two buggy ones.

use kernel::drm::gpuvm::{GpuVaAlloc, GpuVm, GpuVmBo, UniqueRefGpuVm};
use kernel::prelude::*;
use kernel::sync::aref::ARef;

pub struct Vm {
    gpuvm: ARef<GpuVm<VmData>>,
    gpuvm_unique: Mutex<UniqueRefGpuVm<VmData>>,
}

impl Vm {
    /// Maps `bo`: obtain the vm_bo and preallocate VAs before taking the lock.
    pub fn map_bo(&self, bo: &Bo, va: u64, size: u64) -> Result {
        let vm_bo = self.gpuvm.obtain(bo, ())?;
        let prealloc = GpuVaAlloc::new(GFP_KERNEL)?;
        let result = {
            let mut unique = self.gpuvm_unique.lock();
            unique.map(&vm_bo, prealloc, va, size)
        };
        drop(vm_bo);
        self.gpuvm.deferred_cleanup();
        result
    }
}

pub struct BindJob {
    vm: Arc<Vm>,
    bo: ARef<Bo>,
}

impl JobOps for BindJob {
    // Runs in the DMA-fence signalling path: no allocation that may reclaim.
    fn run_job(&self) -> Result {
        let va = GpuVaAlloc::new(GFP_KERNEL)?;
        let vm_bo = self.vm.gpuvm.obtain(&self.bo, ())?;
        drop(va);
        drop(vm_bo);
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Example: a driver on the Asahi `kernel::drm::gpuvm` API (staged VM, locked
//! through `drm_gpuvm_exec_lock`). Dropping an `ARef<GpuVmBo>` there puts the
//! vm_bo under its BO's dma_resv: `dma_resv_lock()` + `drm_gpuvm_bo_put()`.
//! While the exec lock guard is alive that resv is already held, so the drop
//! self-deadlocks. `gpuvm-review check` reports:
//!
//! - `unmap_bo()`: it drops the guard, then the vm_bo, but on the `?` after
//!   `bo_unmap()` the vm_bo (declared after the guard) is dropped first
//!   (lock-recursion, on the error path only);
//! - `remap_bo()`: the vm_bo obtained through the guard is dropped at the end
//!   of an inner block, with the guard still alive (lock-recursion).
//!
//! `map_bo()` shows the right order: the step context that keeps the vm_bo is
//! declared before the guard, so it drops after it.

use kernel::drm::gpuvm;
use kernel::sync::aref::ARef;

pub(crate) struct StepContext {
    vm_bo: Option<ARef<gpuvm::GpuVmBo<VmInner>>>,
    prot: u32,
    mapped: u64,
}

impl StepContext {
    fn new(prot: u32) -> StepContext {
        StepContext { vm_bo: None, prot, mapped: 0 }
    }
}

pub(crate) struct Vm {
    inner: ARef<gpuvm::GpuVm<VmInner>>,
}

impl Vm {
    pub(crate) fn map_bo(&self, gem: &Object, addr: u64, size: u64, prot: u32) -> Result {
        let mut ctx = StepContext::new(prot);
        let mut guard = self.inner.exec_lock(Some(gem), true)?;
        ctx.vm_bo = Some(guard.obtain_bo()?);
        guard.sm_map(&mut ctx, addr, size, 0)
    }

    pub(crate) fn unmap_bo(&self, gem: &Object) -> Result<u64> {
        let mut ctx = StepContext::new(0);
        let mut guard = self.inner.exec_lock(Some(gem), false)?;
        if let Some(bo) = guard.find_bo() {
            guard.bo_unmap(&mut ctx, &bo)?;
            // The exec lock goes before the vm_bo: dropping the vm_bo takes the BO resv.
            core::mem::drop(guard);
            core::mem::drop(bo);
        }
        Ok(ctx.mapped)
    }

    pub(crate) fn remap_bo(&self, gem: &Object, addr: u64, size: u64) -> Result {
        let mut ctx = StepContext::new(0);
        let mut guard = self.inner.exec_lock(Some(gem), true)?;
        {
            let vm_bo = guard.obtain_bo()?;
            ctx.prot = vm_bo.inner().prot();
        }
        guard.sm_unmap(&mut ctx, addr, size)
    }
}

// SPDX-License-Identifier: GPL-2.0 or MIT
//! Example: a GPU VM on the upstream `kernel::drm::gpuvm` API, written the way
//! the API wants it. `gpuvm-review check` finds nothing here.
//!
//! - Everything that may fail (the three preallocated VAs, the page-table
//!   reservation) happens before `obtain()`, so no early return skips the
//!   deferred cleanup at the end of `map()`.
//! - The split/merge steps run with the unique VM handle held, allocate
//!   nothing, and hand unused preallocations back.
//! - The deferred vm_bo cleanup runs after the mutex is released, in process
//!   context, never from the job's `run_job()`.

use core::ops::Range;
use kernel::drm::gpuvm::{
    DriverGpuVm, GpuVaAlloc, GpuVm, GpuVmBo, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped,
    UniqueRefGpuVm,
};
use kernel::sync::{aref::ARef, Arc, Mutex};

/// Preallocated VAs for one bind: the new mapping and the two halves of a split.
pub(crate) struct VaCache {
    slots: [Option<GpuVaAlloc<VmData>>; 3],
}

impl VaCache {
    fn new(count: usize) -> Result<VaCache> {
        let mut slots = [None, None, None];
        for slot in slots.iter_mut().take(count) {
            *slot = Some(GpuVaAlloc::new(GFP_KERNEL)?);
        }
        Ok(VaCache { slots })
    }

    fn take(&mut self) -> Result<GpuVaAlloc<VmData>> {
        self.slots.iter_mut().find_map(|s| s.take()).ok_or(ENOMEM)
    }

    fn put_back(&mut self, va: GpuVaAlloc<VmData>) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.is_none()) {
            *s = Some(va);
        }
    }
}

/// The page-table state of one split/merge call.
pub(crate) struct StepCtx<'a> {
    pt: &'a PageTable,
    vas: &'a mut VaCache,
}

/// Mapping flags checked against the hardware.
///
/// # Invariants
///
/// Only bits the MMU understands are set.
#[derive(Clone, Copy)]
pub(crate) struct MapFlags(u32);

impl MapFlags {
    pub(crate) fn from_user(bits: u32) -> Result<MapFlags> {
        if bits & !MMU_FLAGS_MASK != 0 {
            return Err(EINVAL);
        }
        // INVARIANT: unknown bits were rejected above.
        Ok(MapFlags(bits))
    }
}

pub(crate) struct VmData;

pub(crate) struct Vm {
    unique: Mutex<UniqueRefGpuVm<VmData>>,
    gpuvm: ARef<GpuVm<VmData>>,
    pt: PageTable,
    range: Range<u64>,
}

impl Vm {
    pub(crate) fn new(ddev: &DrmDevice, pt: PageTable, range: Range<u64>) -> Result<Arc<Vm>> {
        let root = gem::new_dummy_object(ddev)?;
        let unique = GpuVm::new::<Error, _>(c"example::Vm", ddev, &*root, range.clone(), 0..0, VmData)?;
        let gpuvm = ARef::from(&*unique);
        Arc::pin_init(pin_init!(Vm { unique <- new_mutex!(unique), gpuvm, pt, range }), GFP_KERNEL)
    }

    pub(crate) fn map(&self, bo: &Bo, offset: u64, va: Range<u64>, flags: MapFlags) -> Result {
        if va.start >= va.end || va.end > self.range.end {
            return Err(EINVAL);
        }
        let mut vas = VaCache::new(3)?;
        self.pt.reserve(&va, flags)?;
        let vm_bo = self.gpuvm.obtain(bo, ())?;
        let result = {
            let mut unique = self.unique.lock();
            let mut ctx = StepCtx { pt: &self.pt, vas: &mut vas };
            unique.sm_map(OpMapRequest { addr: va.start, range: va.end - va.start, gem_offset: offset, vm_bo: &vm_bo, context: &mut ctx })
        };
        drop(vm_bo);
        self.gpuvm.deferred_cleanup();
        result
    }

    pub(crate) fn unmap(&self, va: Range<u64>) -> Result {
        let mut vas = VaCache::new(2)?;
        let result = {
            let mut unique = self.unique.lock();
            let mut ctx = StepCtx { pt: &self.pt, vas: &mut vas };
            unique.sm_unmap(va.start, va.end - va.start, &mut ctx)
        };
        // Clean up the zombies first: the TLB flush below may fail and return early.
        self.gpuvm.deferred_cleanup();
        self.pt.flush(&va)?;
        result
    }

    pub(crate) fn read_entry(&self, index: usize) -> Result<u64> {
        if index >= self.pt.len() {
            return Err(EINVAL);
        }
        // SAFETY: `index` is in bounds, and the table lives as long as `self`.
        let entry = unsafe { core::ptr::read_volatile(self.pt.base().add(index)) };
        Ok(entry)
    }
}

impl DriverGpuVm for VmData {
    type Driver = DrmDriver;
    type Object = Bo;
    type VmBoData = ();
    type VaData = ();
    type SmContext<'ctx> = StepCtx<'ctx>;

    fn sm_step_map<'op>(&mut self, op: OpMap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpMapped<'op, Self>, Error> {
        ctx.pt.map_reserved(op.addr(), op.length(), op.gem_offset())?;
        let va = ctx.vas.take()?;
        Ok(op.insert(va, ()))
    }

    fn sm_step_unmap<'op>(&mut self, op: OpUnmap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpUnmapped<'op, Self>, Error> {
        ctx.pt.unmap(op.va().addr(), op.va().length())?;
        let (done, _removed) = op.remove();
        Ok(done)
    }

    fn sm_step_remap<'op>(&mut self, op: OpRemap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpRemapped<'op, Self>, Error> {
        let prev = ctx.vas.take()?;
        let next = ctx.vas.take()?;
        let (done, ret) = op.remap([prev, next], (), ());
        if let Some(unused) = ret.unused_va {
            ctx.vas.put_back(unused);
        }
        Ok(done)
    }
}

// SPDX-License-Identifier: GPL-2.0
//! Example: the vm_bo part of a GPUVM binding layer, written against the C
//! API through `bindings::`. It has the bugs a first version of such a
//! binding tends to have; `gpuvm-review check` reports:
//!
//! - `PreallocBo::register()` keeps the preallocation in a plain binding:
//!   `drm_gpuvm_bo_obtain_prealloc()` takes its reference, and the binding's
//!   drop puts it again at the end of the function (vm-bo-double-put). Wrap
//!   it in `ManuallyDrop` once obtain_prealloc owns it.
//! - `RegisteredBo::track_external()` adds the vm_bo to the VM's extobj list
//!   without the VM's dma_resv (extobj-add-without-resv).
//! - `RegisteredBo::from_raw()` is an unsafe fn with no `# Safety` section
//!   (missing-safety-doc).

use core::ptr::NonNull;

/// A vm_bo from `drm_gpuvm_bo_create()`, not on any list yet.
///
/// # Invariants
///
/// The pointer is valid and holds one reference.
pub struct PreallocBo<T: DriverGpuVm>(NonNull<GpuVmBo<T>>);

/// A vm_bo on its GEM's gpuva list.
///
/// # Invariants
///
/// The pointer is valid and holds one reference.
pub struct RegisteredBo<T: DriverGpuVm>(NonNull<GpuVmBo<T>>);

impl<T: DriverGpuVm> PreallocBo<T> {
    pub fn new(vm: &GpuVm<T>, obj: &T::Object) -> Result<PreallocBo<T>, AllocError> {
        // SAFETY: both pointers are valid for the duration of the call.
        let raw = unsafe { bindings::drm_gpuvm_bo_create(vm.as_raw(), obj.as_raw()) };
        let bo = NonNull::new(raw.cast::<GpuVmBo<T>>()).ok_or(AllocError)?;
        // INVARIANT: drm_gpuvm_bo_create() returns a vm_bo with one reference.
        Ok(PreallocBo(bo))
    }

    fn as_raw(&self) -> *mut bindings::drm_gpuvm_bo {
        self.0.as_ptr().cast()
    }

    /// Registers the preallocation, or finds the vm_bo already registered.
    pub fn register(self) -> RegisteredBo<T> {
        let prealloc = self;
        // SAFETY: `prealloc` is on no list; obtain_prealloc takes its reference.
        let found = unsafe { bindings::drm_gpuvm_bo_obtain_prealloc(prealloc.as_raw()) };
        // INVARIANT: obtain_prealloc returns a registered vm_bo with a reference for us.
        // SAFETY: obtain_prealloc never returns NULL.
        RegisteredBo(unsafe { NonNull::new_unchecked(found.cast()) })
    }
}

impl<T: DriverGpuVm> RegisteredBo<T> {
    /// Wraps a vm_bo pointer the caller holds a reference to.
    pub unsafe fn from_raw(raw: *mut bindings::drm_gpuvm_bo) -> RegisteredBo<T> {
        // INVARIANT: the caller passes its reference to the new handle.
        // SAFETY: the caller guarantees `raw` is valid and not NULL.
        RegisteredBo(unsafe { NonNull::new_unchecked(raw.cast()) })
    }

    fn as_raw(&self) -> *mut bindings::drm_gpuvm_bo {
        self.0.as_ptr().cast()
    }

    /// Puts an external object's vm_bo on the VM's extobj list.
    pub fn track_external(&self) {
        // SAFETY: the vm_bo is valid while `self` exists.
        unsafe { bindings::drm_gpuvm_bo_extobj_add(self.as_raw()) };
    }
}

impl<T: DriverGpuVm> Drop for PreallocBo<T> {
    fn drop(&mut self) {
        // SAFETY: this handle holds one reference; a deferred put may run anywhere.
        unsafe { bindings::drm_gpuvm_bo_put_deferred(self.as_raw()) };
    }
}

impl<T: DriverGpuVm> Drop for RegisteredBo<T> {
    fn drop(&mut self) {
        // SAFETY: this handle holds one reference; a deferred put may run anywhere.
        unsafe { bindings::drm_gpuvm_bo_put_deferred(self.as_raw()) };
    }
}

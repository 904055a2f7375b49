// What a call in a .gpuvm scenario means: kernel function names (and the
// model's own short op names) mapped to model operations.

import { OP_BY_NAME } from '../model/ops';

export interface CallArg {
  text: string;
  col: number;
}

export type Translation =
  | { ok: true; op: string; args: string[]; argCols: number[]; opts: Record<string, string | boolean> }
  | { ok: false; message: string; col?: number };

/** `&obj->gpuva.lock` -> { gpuva: 'obj' }; `drm_gpuvm_resv(vm)` / `obj->resv` -> { resv: 'vm' }. */
export function normaliseArg(t: string): { name: string; gpuva?: boolean; resv?: boolean } {
  let s = t.trim().replace(/^&\s*/, '').replace(/^\((.*)\)$/, '$1').trim();
  let m = /^drm_gpuvm_resv\(\s*&?\s*([\w.>-]+)\s*\)$/.exec(s);
  if (m) return { name: m[1]!, resv: true };
  m = /^([\w]+)\s*(?:->|\.)\s*resv$/.exec(s);
  if (m) return { name: m[1]!, resv: true };
  m = /^([\w]+)\s*(?:->|\.)\s*gpuva(?:\.lock)?$/.exec(s);
  if (m) return { name: m[1]!, gpuva: true };
  s = s.replace(/^&/, '');
  return { name: s };
}

const ALIASES: Record<string, { op: string; opts?: Record<string, string | boolean> }> = {
  drm_gpuvm_get: { op: 'vm_get' },
  drm_gpuvm_put: { op: 'vm_put' },
  drm_gem_object_get: { op: 'gem_get' },
  drm_gem_object_put: { op: 'gem_put' },
  drm_gem_shmem_pin: { op: 'gem_pin' },
  drm_gem_shmem_unpin: { op: 'gem_unpin' },
  drm_gpuvm_bo_create: { op: 'bo_create' },
  drm_gpuvm_bo_obtain: { op: 'bo_obtain' },
  drm_gpuvm_bo_obtain_locked: { op: 'bo_obtain' },
  drm_gpuvm_bo_obtain_prealloc: { op: 'bo_obtain_prealloc' },
  drm_gpuvm_bo_find: { op: 'bo_find' },
  drm_gpuvm_bo_get: { op: 'bo_get' },
  drm_gpuvm_bo_put: { op: 'bo_put' },
  drm_gpuvm_bo_put_deferred: { op: 'bo_put_deferred' },
  drm_gpuvm_bo_deferred_cleanup: { op: 'bo_deferred_cleanup' },
  drm_gpuvm_bo_extobj_add: { op: 'bo_extobj_add' },
  drm_gpuvm_bo_evict: { op: 'bo_evict' },
  drm_gpuva_insert: { op: 'va_insert' },
  drm_gpuva_map: { op: 'va_insert' },
  drm_gpuva_remove: { op: 'va_remove' },
  drm_gpuva_unmap: { op: 'va_remove' },
  drm_gpuva_remap: { op: 'va_remap' },
  drm_gpuva_link: { op: 'va_link' },
  drm_gpuva_unlink: { op: 'va_unlink' },
  drm_gpuva_unlink_defer: { op: 'va_unlink_defer' },
  drm_gpuvm_sm_map: { op: 'sm_map' },
  drm_gpuvm_sm_unmap: { op: 'sm_unmap' },
  drm_exec_init: { op: 'exec_begin' },
  drm_exec_prepare_obj: { op: 'exec_prepare_obj' },
  drm_exec_lock_obj: { op: 'exec_prepare_obj' },
  drm_gpuvm_prepare_vm: { op: 'prepare_vm' },
  drm_gpuvm_prepare_objects: { op: 'prepare_objects' },
  drm_gpuvm_exec_lock: { op: 'exec_lock' },
  drm_gpuvm_exec_unlock: { op: 'exec_unlock' },
  drm_exec_fini: { op: 'exec_unlock' },
  drm_gpuvm_validate: { op: 'validate' },
  drm_gpuvm_resv_add_fence: { op: 'resv_add_fence' },
  dma_resv_lock: { op: 'resv_lock' },
  dma_resv_lock_interruptible: { op: 'resv_lock', opts: { interruptible: true } },
  dma_resv_trylock: { op: 'resv_lock', opts: { trylock: true } },
  dma_resv_unlock: { op: 'resv_unlock' },
  dma_fence_begin_signalling: { op: 'begin_signalling' },
  dma_fence_end_signalling: { op: 'end_signalling' },
  dma_fence_wait: { op: 'fence_wait' },
  dma_fence_wait_timeout: { op: 'fence_wait' },
  dma_resv_wait_timeout: { op: 'fence_wait' },
  kmalloc: { op: 'alloc' },
  kzalloc: { op: 'alloc' },
  kcalloc: { op: 'alloc' },
  kvmalloc: { op: 'alloc' },
  kvzalloc: { op: 'alloc' },
  'KBox::new': { op: 'alloc' },
  'GpuVaAlloc::new': { op: 'va_alloc' },
  kfree: { op: 'va_free' },
  mutex_lock: { op: 'mutex_lock' },
  mutex_unlock: { op: 'mutex_unlock' },
  spin_lock: { op: 'spin_lock' },
  spin_unlock: { op: 'spin_unlock' },
};

const GFP = /^(?:__)?GFP_\w+(?:\s*\|\s*(?:__)?GFP_\w+)*$/;

/** Translate `name(args) options` into a model operation. */
export function translate(name: string, args: CallArg[], options: CallArg[]): Translation {
  const alias = ALIASES[name];
  let op = alias?.op ?? name;
  const opts: Record<string, string | boolean> = { ...(alias?.opts ?? {}) };
  let rest = args;

  // Allocation calls: the GFP mask is an argument.
  if (op === 'alloc' || op === 'va_alloc') {
    const gfp = args.find((a) => GFP.test(a.text.trim()));
    if (gfp) opts.gfp = gfp.text.replace(/\s+/g, '');
    rest = [];
  }
  // mutex_lock(obj->gpuva.lock) is the GEM's gpuva lock; other mutexes are driver locks by name.
  if ((op === 'mutex_lock' || op === 'mutex_unlock') && args.length === 1 && normaliseArg(args[0]!.text).gpuva) {
    op = op === 'mutex_lock' ? 'gpuva_lock' : 'gpuva_unlock';
  }
  // drm_gpuvm_bo_evict(vm_bo, false)
  if (op === 'bo_evict' && args.length === 2) {
    const v = args[1]!.text.trim();
    if (v !== 'true' && v !== 'false') return { ok: false, message: `the second argument of ${name} is true or false`, col: args[1]!.col };
    if (v === 'false') opts.unevict = true;
    rest = [args[0]!];
  }
  // dma_resv_lock(resv, NULL): the ww acquire context argument is not modelled.
  if (op === 'resv_lock' && args.length === 2 && /^(NULL|ctx|&?\w*ctx\w*|ptr::null_mut\(\))$/.test(args[1]!.text.trim())) rest = [args[0]!];

  const spec = OP_BY_NAME.get(op);
  if (!spec) return { ok: false, message: `unknown operation '${name}'` };
  for (const o of options) {
    const [k, v] = o.text.split('=', 2) as [string, string | undefined];
    if (!spec.options?.includes(k)) {
      return { ok: false, message: `'${k}' is not an option of ${name}${spec.options?.length ? ` (options: ${spec.options.join(', ')})` : ''}`, col: o.col };
    }
    opts[k] = v ?? true;
  }
  const min = spec.args.length - (spec.optional ?? 0);
  if (rest.length < min || rest.length > spec.args.length) {
    const want = min === spec.args.length ? `${min}` : `${min} to ${spec.args.length}`;
    return { ok: false, message: `${name} takes ${want} argument${spec.args.length === 1 ? '' : 's'} (${spec.args.join(', ') || 'none'}), got ${rest.length}` };
  }
  return {
    ok: true, op, opts,
    args: rest.map((a, i) => (spec.args[i] === 'lock-name' ? a.text.trim().replace(/^&/, '') : normaliseArg(a.text).name)),
    argCols: rest.map((a) => a.col),
  };
}

export function knownCallNames(): string[] {
  return [...Object.keys(ALIASES), ...OP_BY_NAME.keys()];
}

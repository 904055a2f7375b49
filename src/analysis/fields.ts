// How GPUVM objects reach each other through fields and accessors, in C and in
// Rust: `vm_bo->obj`, `va->vm_bo`, `op.vm_bo()`. Kernel knowledge as a table.

import type { ObjKind } from '../model/state';

export interface FieldRule {
  /** What the field leads to. */
  to: ObjKind;
  /** How the model finds it from the object. */
  via: 'vm_bo.gem' | 'vm_bo.vm' | 'va.vm_bo' | 'va.gem' | 'va.vm' | 'gem.vm';
}

export const FIELDS: Record<ObjKind, Record<string, FieldRule>> = {
  vm_bo: {
    obj: { to: 'gem', via: 'vm_bo.gem' },
    'obj()': { to: 'gem', via: 'vm_bo.gem' },
    vm: { to: 'vm', via: 'vm_bo.vm' },
    'gpuvm()': { to: 'vm', via: 'vm_bo.vm' },
  },
  va: {
    vm_bo: { to: 'vm_bo', via: 'va.vm_bo' },
    'vm_bo()': { to: 'vm_bo', via: 'va.vm_bo' },
    'gem.obj': { to: 'gem', via: 'va.gem' },
    'obj()': { to: 'gem', via: 'va.gem' },
    vm: { to: 'vm', via: 'va.vm' },
  },
  gem: {},
  vm: {},
};

/** Split `a.b.c` into the longest known object prefix and a field path: tries `a.b` + `c`, then `a` + `b.c`. */
export function splitField(key: string): Array<{ base: string; field: string }> {
  const out: Array<{ base: string; field: string }> = [];
  let i = key.lastIndexOf('.');
  while (i > 0) {
    out.push({ base: key.slice(0, i), field: key.slice(i + 1) });
    i = key.lastIndexOf('.', i - 1);
  }
  return out;
}

// Names the lowering of calls shares: std and kernel plumbing that is no
// function of the program, and the type a method is looked up on.

import type { TypeRef } from './types';

/** Paths into std, core and the kernel crate's plumbing: nothing of the program. */
export const STD_MODULES = /^(?:core|std|alloc|ptr|mem|cmp|fmt|slice|iter|str|hint|kernel|bindings|pin_init|init|sizes|page|error|build_assert|c_str|u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|isize|bool|char|f32|f64)$/;

export const STD_TYPES = /^(?:KBox|KVec|KVVec|VVec|Box|Vec|Arc|ArcBorrow|UniqueArc|Pin|NonNull|Opaque|Option|Result|Error|CStr|CString|Range|Layout|PhantomData|MaybeUninit|ManuallyDrop|AtomicU\d+|AtomicBool|u\d+|i\d+|usize|isize|Devres|Device|Completion|Mutex|SpinLock|CondVar|Ok|Err|Some|String|XArray|RBTree|ScatterList|SGTable|Delta|Instant|Ktime|Flags|ThisModule|CPUMask|kernel|core|alloc|init|pin_init)$/;

/** The type a method is looked up on: through references and smart pointers (Arc, ARef, KBox, Pin). */
export function receiverType(t: TypeRef | undefined, selfType: string | undefined): string | undefined {
  let cur = t;
  for (let i = 0; cur && i < 4; i++) {
    if (cur.name === 'Self') return selfType;
    if (/^(?:Arc|ARef|KBox|Box|Pin|ArcBorrow|UniqueArc|Rc|Guard|MutexGuard)$/.test(cur.name) && cur.args[0]) { cur = cur.args[cur.name === 'Guard' ? 1 : 0] ?? cur.args[0]; continue; }
    return cur.name === '?' ? undefined : cur.name;
  }
  return undefined;
}

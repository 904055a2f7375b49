// The Rust lowering models ownership as rustc does: these tests read the
// lifecycle events a function lowers to, in order, on small snippets.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { IrFile, IrFunction, IrNode } from '../../src/analysis/ir';
import { rustFrontend } from '../../src/syntax/rust';
import { getParsers, reviewTexts } from './kit';

async function lower(text: string, opts = {}): Promise<IrFile> {
  const p = await getParsers();
  const tree = p.rust.parse(text)!;
  try {
    return rustFrontend.lower(tree, text, 't.rs', opts);
  } finally {
    tree.delete();
  }
}

function fn(f: IrFile, name: string): IrFunction {
  const x = f.functions.find((g) => g.displayName === name || g.name === name);
  assert.ok(x, `function ${name} in ${f.functions.map((g) => g.displayName).join(', ')}`);
  return x;
}

/** The api/call/exit events on the first path (first successor at each fork): `op(args)@line`. */
function firstPath(f: IrFunction): string[] {
  const out: string[] = [];
  let n: IrNode | undefined = f.nodes[f.entry];
  const seen = new Set<number>();
  while (n && !seen.has(n.id)) {
    seen.add(n.id);
    const ev = n.event;
    if (ev.kind === 'api') out.push(`${ev.op}(${ev.args.map((a) => a.key).join(',')})@${n.span?.start.line}`);
    else if (ev.kind === 'call') out.push(`call ${ev.callee}@${n.span?.start.line}`);
    else if (ev.kind === 'exit') out.push(`exit${ev.value ? ` ${ev.value}` : ''}@${n.span?.start.line}`);
    else if (ev.kind === 'forget' || ev.kind === 'handOn') out.push(`${ev.kind} ${ev.key}`);
    n = f.nodes[pickNext(f, n)];
  }
  return out;
}

/** Prefer the branch where things succeed: the non-failing side of a `?`, the true side of a plain fork. */
function pickNext(f: IrFunction, n: IrNode): number {
  const cands = n.succ.map((s) => f.nodes[s]!);
  const ok = cands.find((c) => !(c.event.kind === 'assume' && ((c.event.cond.test === 'null-or-err' && !c.event.cond.negate) || (c.event.cond.test === 'zero' && c.event.cond.negate) || (c.event.cond.test === 'flag' && c.event.cond.negate))));
  return (ok ?? cands[0])?.id ?? -1;
}

const UP = `use kernel::drm::gpuvm::{GpuVm, GpuVmBo, GpuVaAlloc};\n`;

test('locals drop at the end of their scope, in reverse declaration order, after the tail expression', async () => {
  const f = await lower(`${UP}
fn two(vm: &GpuVm<D>, a: &Bo, b: &Bo) -> u64 {
    let first = vm.obtain(a, ())?;
    let second = vm.obtain(b, ())?;
    vm.va_length()
}`);
  const p = firstPath(fn(f, 'two')).filter((x) => /put|exit/.test(x));
  assert.deepEqual(p, ['bo_put_deferred(second)@7', 'bo_put_deferred(first)@7', 'exit@7']);
});

test('`let _ = e` drops at once, `let _x = e` lives to the end of the scope', async () => {
  const f = await lower(`${UP}
fn underscore(vm: &GpuVm<D>, a: &Bo) -> Result {
    let _ = vm.obtain(a, ())?;
    let _kept = vm.obtain(a, ())?;
    vm.deferred_cleanup();
    Ok(())
}`);
  const p = firstPath(fn(f, 'underscore')).filter((x) => /put|cleanup/.test(x));
  assert.deepEqual(p, ['bo_put_deferred($obtain@2:13#1)@4', 'bo_deferred_cleanup(vm)@6', 'bo_put_deferred(_kept)@8']);
});

test('a temporary drops at the end of its statement; a guard in a match scrutinee lives through the arms', async () => {
  const f = await lower(`${UP}
struct S { m: Mutex<Option<u32>> }
fn temps(s: &S, vm: &GpuVm<D>) {
    let n = s.m.lock().unwrap_or(0);
    match s.m.lock().take() {
        Some(x) => vm.deferred_cleanup(),
        None => {}
    }
}`);
  const p = firstPath(fn(f, 'temps')).filter((x) => /mutex|cleanup/.test(x));
  assert.deepEqual(p, ['mutex_lock(s.m)@5', 'mutex_unlock(s.m)@5', 'mutex_lock(s.m)@6', 'bo_deferred_cleanup(vm)@7', 'mutex_unlock(s.m)@10']);
});

test('`?` drops every live local, innermost first; a value moved into a call is not dropped again', async () => {
  const f = await lower(`${UP}
fn consume(v: ARef<GpuVmBo<D>>) {}
fn early(vm: &GpuVm<D>, a: &Bo) -> Result {
    let kept = vm.obtain(a, ())?;
    let given = vm.obtain(a, ())?;
    consume(given);
    let va = GpuVaAlloc::<D>::new(GFP_KERNEL)?;
    Ok(())
}`);
  const g = fn(f, 'early');
  // The `?` of the allocation: only `kept` is still owned there.
  const exitQ = g.nodes.filter((n) => n.event.kind === 'exit' && /GpuVaAlloc/.test(n.event.label));
  assert.equal(exitQ.length, 1);
  const drops = g.nodes.filter((n) => n.event.kind === 'api' && n.event.op === 'bo_put_deferred' && n.span?.start.line === 8);
  assert.deepEqual(drops.map((n) => (n.event.kind === 'api' ? n.event.args[0]!.key : '')), ['kept']);
  const call = g.nodes.find((n) => n.event.kind === 'call' && n.event.callee === 'consume');
  assert.ok(call && call.event.kind === 'call' && call.event.moves?.includes(0), 'by-value argument marked as moved');
});

test('drop(), mem::forget, ManuallyDrop, clone and ARef::from', async () => {
  const f = await lower(`${UP}
fn plumbing(vm: &GpuVm<D>, a: &Bo) -> Result {
    let x = vm.obtain(a, ())?;
    let y = x.clone();
    drop(x);
    let z = ManuallyDrop::new(y);
    let w = vm.obtain(a, ())?;
    core::mem::forget(w);
    Ok(())
}`);
  const p = firstPath(fn(f, 'plumbing')).filter((x) => /bo_get|put|forget/.test(x));
  assert.deepEqual(p, ['bo_get(x)@5', 'bo_put_deferred(x)@6', 'forget w']);
});

test('assignment: the old value drops after the right side is built; a handle stored in a field of a local drops with it', async () => {
  const f = await lower(`${UP}
struct Ctx { vm_bo: Option<ARef<GpuVmBo<D>>>, n: u32 }
fn refill(vm: &GpuVm<D>, a: &Bo, b: &Bo) -> Result {
    let mut ctx = Ctx { vm_bo: Some(vm.obtain(a, ())?), n: 0 };
    ctx.vm_bo = Some(vm.obtain(b, ())?);
    Ok(())
}
fn fill(vm: &GpuVm<D>, a: &Bo) -> Result {
    let mut ctx = make_ctx();
    ctx.vm_bo = Some(vm.obtain(a, ())?);
    Ok(())
}`);
  const r = firstPath(fn(f, 'refill')).filter((x) => /obtain_prealloc|put/.test(x));
  assert.deepEqual(r, ['bo_obtain_prealloc(ctx.vm_bo)@5', 'bo_obtain_prealloc($obtain@3:22#1)@6', 'bo_put_deferred(ctx.vm_bo)@6', 'bo_put_deferred(ctx.vm_bo)@8']);
  const p = firstPath(fn(f, 'fill')).filter((x) => /obtain_prealloc|put/.test(x));
  assert.deepEqual(p, ['bo_obtain_prealloc(ctx.vm_bo)@11', 'bo_put_deferred(ctx.vm_bo)@13']);
});

test('a handle moved in one branch only is dropped at scope end under its drop flag', async () => {
  const f = await lower(`${UP}
fn maybe(vm: &GpuVm<D>, a: &Bo, give: bool) -> Result {
    let x = vm.obtain(a, ())?;
    if give {
        drop(x);
    }
    Ok(())
}`);
  const g = fn(f, 'maybe');
  const flagged = g.nodes.filter((n) => n.event.kind === 'assume' && n.event.cond.test === 'flag');
  assert.equal(flagged.length, 2, 'the end-of-scope drop tests the flag');
  const r = await reviewTexts([{ file: 'm.rs', text: `${UP}
fn maybe(vm: &GpuVm<D>, a: &Bo, give: bool) -> Result {
    {
        let x = vm.obtain(a, ())?;
        if give {
            drop(x);
        }
    }
    vm.deferred_cleanup();
    Ok(())
}` }]);
  assert.deepEqual(r.findings.filter((x) => x.severity !== 'info').map((x) => `${x.rule}: ${x.message}`), [], 'no double put on the path that dropped early');
});

test('a move closure handed to a workqueue takes its captures; a closure run by a combinator is inlined', async () => {
  const f = await lower(`${UP}
fn later(vm: &GpuVm<D>, a: &Bo) -> Result {
    let x = vm.obtain(a, ())?;
    workqueue::system().try_spawn(GFP_ATOMIC, move || drop(x))?;
    Ok(())
}
fn now(vm: &GpuVm<D>) -> Result {
    Some(1).map(|_| vm.deferred_cleanup());
    Ok(())
}`);
  assert.ok(fn(f, 'later').nodes.some((n) => n.event.kind === 'handOn' && n.event.key === 'x'));
  assert.ok(!fn(f, 'later').nodes.some((n) => n.event.kind === 'api' && n.event.op === 'bo_put_deferred' && n.event.args[0]!.key === 'x'));
  assert.ok(fn(f, 'now').nodes.some((n) => n.event.kind === 'call' && n.event.callee === 'now::{closure#1}'));
  assert.ok(f.functions.some((g) => g.displayName === 'later::{closure#1}'));
});

test('generation and VM mode: upstream immediate, Asahi staged unless flags say otherwise, flags in a variable say nothing', async () => {
  const up = await lower(`${UP}fn f(vm: &GpuVm<D>) { vm.deferred_cleanup(); }`);
  assert.equal(up.apiGeneration, 'upstream');
  assert.deepEqual(up.vmInits.map((v) => [v.immediate, v.resvProtected]), [[true, true]]);
  const asahi = await lower(`fn f(vm: &GpuVm<D>, gem: &Object) -> Result { let g = vm.exec_lock(Some(gem), true)?; Ok(()) }`);
  assert.equal(asahi.apiGeneration, 'asahi');
  assert.deepEqual(asahi.vmInits.map((v) => v.immediate), [false]);
  const param = await lower(`fn init(vm: *mut bindings::drm_gpuvm, flags: u32) { unsafe { bindings::drm_gpuvm_init(vm, name, flags, dev, obj, 0, 1, 0, 0, ops) }; } fn g(l: &LockedGpuVm) { l.obtain_bo(); }`);
  assert.deepEqual(param.vmInits, []);
  const forced = await lower(`${UP}fn f(vm: &GpuVm<D>) {}`, { apiGeneration: 'asahi' });
  assert.equal(forced.apiGeneration, 'asahi');
});

test('roles, markers and suppressions come from trait impls and comments', async () => {
  const f = await lower(`${UP}
impl DriverGpuVm for D {
    fn sm_step_map<'op>(&mut self, op: OpMap<'op, Self>, c: &mut ()) -> Result<OpMapped<'op, Self>> { todo() }
}
impl JobImpl for J {
    fn run_job(&self) -> Result { Ok(()) }
}
// gpuvm-review: signalling
// gpuvm-review: allow(signalling-alloc)
fn marked() {}
fn line(vm: &GpuVm<D>) {
    vm.deferred_cleanup(); // gpuvm-review: allow(signalling-resv-lock)
}`);
  assert.deepEqual(fn(f, 'D::sm_step_map').roles, ['sm_step_map']);
  assert.deepEqual(fn(f, 'J::run_job').roles, ['run_job']);
  assert.deepEqual(fn(f, 'marked').markers, ['signalling']);
  assert.deepEqual(fn(f, 'marked').suppress, ['signalling-alloc']);
  assert.deepEqual(f.lineSuppressions[13], ['signalling-resv-lock']);
});

test('spans are 1-based lines and UTF-16 columns, also after non-ASCII text', async () => {
  const text = `${UP}fn é(vm: &GpuVm<D>) { let s = "𝔸é"; vm.deferred_cleanup(); }\n`;
  const f = await lower(text);
  const n = fn(f, 'é').nodes.find((x) => x.event.kind === 'api')!;
  const line = text.split('\n')[1]!;
  assert.equal(n.span!.start.line, 2);
  assert.equal(n.span!.start.column, line.indexOf('vm.deferred') + 1);
  assert.equal(text.slice(n.span!.startIndex, n.span!.endIndex), 'vm.deferred_cleanup()');
});

test('a function that does not parse is lowered in part and says so; the rest of the file is reviewed', async () => {
  const f = await lower(`${UP}
fn broken(vm: &GpuVm<D>) { let x = vm.va_length() +; vm.deferred_cleanup(); }
fn fine(vm: &GpuVm<D>) { vm.deferred_cleanup(); }`);
  assert.ok(fn(f, 'broken').partial);
  assert.ok(!fn(f, 'fine').partial);
  assert.ok(fn(f, 'fine').touchesGpuvm);
});

test('touchesGpuvm: GPUVM and allocation events count, driver mutexes alone do not', async () => {
  const f = await lower(`${UP}
struct S { m: Mutex<u32> }
fn only_mutex(s: &S) { let g = s.m.lock(); }
fn allocates() -> Result { let b = KBox::new(1u32, GFP_KERNEL)?; Ok(()) }
fn gpuvm(vm: &GpuVm<D>) { vm.deferred_cleanup(); }`);
  assert.equal(fn(f, 'only_mutex').touchesGpuvm, false);
  assert.equal(fn(f, 'allocates').touchesGpuvm, true);
  assert.equal(fn(f, 'gpuvm').touchesGpuvm, true);
});

test('a type whose Drop impl puts its vm_bo is a vm_bo handle; a method returning a view of self is a borrow', async () => {
  const f = await lower(`
pub struct Pre<T>(NonNull<GpuVmBo<T>>);
impl<T> Pre<T> {
    fn raw(&self) -> *mut bindings::drm_gpuvm_bo { self.0.as_ptr().cast() }
    fn keep(self) -> *mut bindings::drm_gpuvm_bo {
        let pre = self;
        // SAFETY: test.
        unsafe { bindings::drm_gpuvm_bo_obtain_prealloc(pre.raw()) }
    }
}
impl<T> Drop for Pre<T> {
    fn drop(&mut self) {
        // SAFETY: test.
        unsafe { bindings::drm_gpuvm_bo_put(self.raw()) };
    }
}`);
  assert.deepEqual(firstPath(fn(f, 'keep')).filter((x) => /obtain|put/.test(x) && !x.startsWith('exit')), ['bo_obtain_prealloc(pre)@8', 'bo_put(pre)@9']);
});

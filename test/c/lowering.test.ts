// What the C front end makes of kernel C: macro shapes, keys, roles, mode,
// assertions, suppressions, and that it reaches every function.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { IrFunction } from '../../src/analysis/ir';
import { lowerC, ops, reviewC } from './harness';

const fn = (file: { functions: IrFunction[] }, name: string): IrFunction => {
  const f = file.functions.find((x) => x.name === name);
  assert.ok(f, `function ${name} lowered (have ${file.functions.map((x) => x.name).join(', ')})`);
  return f;
};

test('drm_exec_until_all_locked(exec) with a bare identifier is a loop, not a nested function', async () => {
  const ir = await lowerC(`
static int lock_it(struct drm_gpuvm *vm, struct drm_exec *exec)
{
	int ret;

	drm_exec_until_all_locked(exec) {
		ret = drm_gpuvm_prepare_vm(vm, exec, 1);
		drm_exec_retry_on_contention(exec);
		if (ret)
			return ret;
	}
	return drm_gpuvm_prepare_objects(vm, exec, 1);
}
`);
  assert.deepEqual(ir.functions.map((f) => f.name), ['lock_it']);
  assert.deepEqual(ops(fn(ir, 'lock_it')), ['prepare_vm(vm)', 'prepare_objects(vm)']);
  assert.equal(fn(ir, 'lock_it').partial, undefined);
});

test('iterators with a block, with one statement, and read as one broken expression are loops', async () => {
  const ir = await lowerC(`
static void walk(struct drm_gpuvm *vm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;
	struct drm_gpuva *va, *next;

	drm_gem_for_each_gpuvm_bo(vm_bo, obj) {
		drm_gpuvm_bo_evict(vm_bo, true);
	}
	drm_gpuvm_for_each_va_safe(va, next, vm)
		drm_gpuva_remove(va);
	list_for_each_entry(vm_bo, &vm->evict.list, list.entry.evict)
		vm_bo->obj->funcs->evict(vm_bo->obj);
	dma_resv_unlock(obj->resv);
}
`);
  const f = fn(ir, 'walk');
  assert.deepEqual(ops(f), ['bo_evict(vm_bo)', 'va_remove(va)', 'resv_unlock(obj)']);
  assert.equal(f.partial, undefined, 'no part of it is lost');
  // Each loop can be skipped: a path from the entry reaches the unlock without the evict.
  const evict = f.nodes.find((n) => n.event.kind === 'api' && n.event.op === 'bo_evict')!;
  const unlock = f.nodes.find((n) => n.event.kind === 'api' && n.event.op === 'resv_unlock')!;
  const reach = (from: number, avoid: number): Set<number> => {
    const seen = new Set<number>();
    const stack = [from];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x) || x === avoid) continue;
      seen.add(x);
      stack.push(...f.nodes[x]!.succ);
    }
    return seen;
  };
  assert.ok(reach(f.entry, evict.id).has(unlock.id));
});

test('guard() and scoped_guard() release their lock on every way out of the scope', async () => {
  const r = await reviewC([{ file: 'g.c', text: `
static int scoped(struct drm_gem_object *obj, int x)
{
	scoped_guard(mutex, &obj->gpuva.lock) {
		if (x)
			return -EINVAL;
		obj->size = 0;
	}
	return 0;
}

static int guarded(struct drm_gem_object *obj, int x)
{
	guard(mutex)(&obj->gpuva.lock);
	if (x)
		goto out;
	obj->size = 1;
out:
	return 0;
}
` }]);
  assert.deepEqual(r.findings, []);
  const s = fn(r.irFiles[0]!, 'scoped');
  assert.equal(ops(s).filter((o) => o.startsWith('gpuva_unlock')).length, 2, 'released at the return and at the end of the block');
  const g = fn(r.irFiles[0]!, 'guarded');
  assert.deepEqual(ops(g), ['gpuva_lock(obj)', 'gpuva_unlock(obj)']);
});

test('keys: embedded base members, container_of, to_*() and accessors of the file name one object', async () => {
  const ir = await lowerC(`
struct my_vma { struct drm_gpuva base; };
struct my_vm { struct drm_gpuvm base; };

static struct dma_resv *my_vm_resv(struct my_vm *vm)
{
	return drm_gpuvm_resv(&vm->base);
}

static void f(struct my_vm *vm, struct drm_gpuva *gpuva, struct my_bo *bo)
{
	struct my_vma *vma = container_of(gpuva, struct my_vma, base);

	dma_resv_lock(my_vm_resv(vm), NULL);
	mutex_lock(&bo->base.base.gpuva.lock);
	drm_gpuva_link(&vma->base, vma->base.vm_bo);
	mutex_unlock(&bo->base.base.gpuva.lock);
	dma_resv_unlock(vm->base.r_obj->resv);
	drm_gem_object_put(&to_my_bo(bo)->base.base);
}
`);
  const f = fn(ir, 'f');
  assert.deepEqual(ops(f), ['resv_lock(vm)', 'gpuva_lock(bo)', 'va_link(vma,vma.vm_bo)', 'gpuva_unlock(bo)', 'resv_unlock(vm)', 'gem_put(bo)']);
  const lock = f.nodes.find((n) => n.event.kind === 'api' && n.event.op === 'resv_lock')!;
  assert.equal(lock.event.kind === 'api' && lock.event.args[0]!.kind, 'vm', 'the accessor yields the VM resv');
  assert.equal(ir.functions.find((x) => x.name === 'my_vm_resv')!.touchesGpuvm, false, 'the accessor itself does nothing');
  const assign = f.nodes.find((n) => n.event.kind === 'assign')!;
  assert.deepEqual(assign.event.kind === 'assign' && [assign.event.target, assign.event.source, assign.event.holds], ['vma', 'gpuva', 'va']);
});

test('ops tables, scheduler ops, work items and ioctl tables give functions their roles', async () => {
  const ir = await lowerC(`
static int m(struct drm_gpuva_op *op, void *p) { return 0; }
static void fr(struct drm_gpuvm_bo *vm_bo) { kfree(vm_bo); }
static struct dma_fence *rj(struct drm_sched_job *j) { return NULL; }
static void w(struct work_struct *work) { }
int bind(struct drm_device *d, void *data, struct drm_file *f) { return 0; }
static const struct drm_gpuvm_ops ops = { .sm_step_map = m, .vm_bo_free = fr, };
static const struct drm_sched_backend_ops sched_ops = { .run_job = rj, };
static const struct drm_ioctl_desc ioctls[] = { DRM_IOCTL_DEF_DRV(X_BIND, bind, DRM_RENDER_ALLOW), };
void init(struct x *x) { INIT_WORK(&x->work, w); }
`);
  assert.deepEqual(ir.callbacks, { sm_step_map: ['m'], vm_bo_free: ['fr'], run_job: ['rj'], ioctl: ['bind'], work: ['w'] });
});

test('the VM mode comes from drm_gpuvm_init flags, also through a variable', async () => {
  const imm = await lowerC('void a(struct drm_gpuvm *vm) { drm_gpuvm_init(vm, "a", DRM_GPUVM_RESV_PROTECTED | DRM_GPUVM_IMMEDIATE_MODE, d, r, 0, 1, 0, 0, &o); }');
  assert.deepEqual(imm.vmInits.map((e) => [e.immediate, e.resvProtected]), [[true, true]]);
  const staged = await lowerC('void a(struct drm_gpuvm *vm) { enum drm_gpuvm_flags flags = 0; drm_gpuvm_init(vm, "a", flags, d, r, 0, 1, 0, 0, &o); }');
  assert.deepEqual(staged.vmInits.map((e) => [e.immediate, e.resvProtected]), [[false, false]]);
  const unknown = await lowerC('void a(struct drm_gpuvm *vm, u32 f) { drm_gpuvm_init(vm, "a", f, d, r, 0, 1, 0, 0, &o); }');
  assert.deepEqual(unknown.vmInits, [], 'flags it cannot read say nothing');
  // The function that initialises a VM owns its first reference, in the mode its flags say.
  const init = imm.functions[0]!.nodes.map((n) => n.event).find((e) => e.kind === 'api' && e.op === 'vm_init');
  assert.deepEqual(init?.kind === 'api' ? [init.args[0]!.key, init.opts] : undefined, ['vm', { immediate: true, resv_protected: true }]);
  assert.equal(unknown.functions[0]!.nodes.some((n) => n.event.kind === 'api' && n.event.op === 'vm_init'), false);
});

test('lock assertions before any lock is taken are facts about the caller', async () => {
  const ir = await lowerC(`
static void a(struct drm_gpuvm *vm, struct drm_gem_object *obj, struct x *x)
{
	lockdep_assert_held(&obj->gpuva.lock);
	dma_resv_assert_held(obj->resv);
	drm_gpuvm_resv_assert_held(vm);
	lockdep_assert_held(&x->lock);
	mutex_lock(&x->other);
	lockdep_assert_held(&x->other);
	mutex_unlock(&x->other);
}
`);
  assert.deepEqual(fn(ir, 'a').entryLocks.map((e) => `${e.lock}:${e.arg.key}`), ['gpuva:obj', 'resv:obj', 'resv:vm', 'mutex:x.lock']);
});

test('suppressions and markers: on a line (and the next), and above a function', async () => {
  const ir = await lowerC(`
/* gpuvm-review: signalling */
// gpuvm-review: allow(signalling-alloc, lock-leak)
static void a(void)
{
	x = kmalloc(8, GFP_KERNEL); // gpuvm-review: allow(signalling-alloc)
}
`);
  const a = fn(ir, 'a');
  assert.deepEqual(a.suppress, ['signalling-alloc', 'lock-leak']);
  assert.deepEqual(a.markers, ['signalling']);
  assert.deepEqual(ir.lineSuppressions[6], ['signalling-alloc']);
  const marked = await lowerC('/* my-fence-path */\nstatic void b(void) { kfree(x); }\n', 't.c', { signallingMarkers: ['my-fence-path'] });
  assert.deepEqual(fn(marked, 'b').markers, ['signalling']);
});

test('every function definition is reached: inside #if blocks, twice under the same name, after a broken declaration', async () => {
  const ir = await lowerC(`
INTERVAL_TREE_DEFINE(struct drm_gpuva, rb.node, u64, rb.__subtree_last,
		     GPUVA_START, GPUVA_LAST, static __maybe_unused,
		     drm_gpuva_it)

static int first(void) { return 0; }
#ifdef CONFIG_X
static void twice(struct drm_gpuvm *vm) { drm_gpuvm_get(vm); }
#else
static void twice(struct drm_gpuvm *vm) { }
#endif
static __always_inline bool
inl(struct drm_gem_object *obj)
{
	return obj != NULL;
}
`);
  assert.deepEqual(ir.functions.map((f) => f.name), ['first', 'twice', 'twice', 'inl']);
  assert.deepEqual(ir.functions.map((f) => f.id), ['t.c::first', 't.c::twice', 't.c::twice#2', 't.c::inl']);
});

test('functions that cannot reach GPUVM keep only their calls; their callers in the file are lowered in full', async () => {
  const ir = await lowerC(`
static int helper(struct drm_gpuvm_bo *vm_bo) { drm_gpuvm_bo_put_deferred(vm_bo); return 0; }
static int caller(struct drm_gpuvm_bo *vm_bo, int x) { if (x) return helper(vm_bo); return 0; }
static int unrelated(int a) { if (a) return printk("x"); return other(a); }
`);
  assert.equal(fn(ir, 'helper').touchesGpuvm, true);
  assert.equal(fn(ir, 'caller').touchesGpuvm, false);
  assert.ok(fn(ir, 'caller').nodes.some((n) => n.event.kind === 'assume'), 'the caller is lowered statement by statement');
  const u = fn(ir, 'unrelated');
  assert.deepEqual(u.nodes.map((n) => n.event.kind), ['nop', 'call', 'call', 'exit'], 'calls only, in order');
  assert.deepEqual(u.callees.sort(), ['other', 'printk']);
});

test('int results: trylock reads true as success, helpers return what they know, literals steer helpers', async () => {
  const r = await reviewC([{ file: 'r.c', text: `
static int try_it(struct drm_gem_object *obj)
{
	if (!dma_resv_trylock(obj->resv))
		return -EBUSY;
	dma_resv_unlock(obj->resv);
	return 0;
}

static int may_fail(struct drm_gpuvm_bo *vm_bo, int x)
{
	if (x)
		return -ENOMEM;
	return 0;
}

static int lock_if(struct drm_gem_object *obj, bool take)
{
	if (take)
		dma_resv_lock(obj->resv, NULL);
	return 0;
}

static int caller(struct drm_gpuvm_bo *vm_bo, struct drm_gem_object *obj)
{
	int ret;

	lock_if(obj, false);
	ret = may_fail(vm_bo, 1);
	if (!ret)
		drm_gpuvm_bo_put(vm_bo);
	return ret;
}
` }]);
  assert.deepEqual(r.findings, [], 'no leak on the trylock failure; the literal false takes no lock; the error result skips the put');
  const ex = r.result.functions.find((f) => f.fn.name === 'caller')!.explored!;
  assert.ok(!ex.ends.some((e) => e.at.state.locks.length), 'lock_if(obj, false) took nothing');
});

test('robust: empty, binary-looking, cut and garbled inputs never throw and keep what they can', async () => {
  for (const text of ['', '\u0000\u0001\u0002\uffff', '{{{{', 'static void f(', 'int f(void) { mutex_lock(&a', 'void f(void) { }}}}} void g(void) { drm_gpuvm_put(vm); }']) {
    const ir = await lowerC(text);
    assert.ok(Array.isArray(ir.functions));
  }
  const cut = await lowerC('static void f(struct drm_gpuvm_bo *vm_bo)\n{\n\tmutex_lock(&vm_bo->obj->gpuva.lock);\n\tdrm_gpuvm_bo_put(vm_bo);\n');
  assert.match(fn(cut, 'f').partial!.reason, /end of the function is missing/);
  assert.ok(!fn(cut, 'f').nodes.some((n) => n.event.kind === 'api'), 'a function cut short is not lowered: its end is unknown');
});

test('columns are UTF-16 code units, lines and columns 1-based', async () => {
  const ir = await lowerC('void f(struct drm_gpuvm *vm)\n{\n\t/* © — 😀 */ drm_gpuvm_put(vm);\n}\n');
  const put = fn(ir, 'f').nodes.find((n) => n.event.kind === 'api')!;
  assert.deepEqual(put.span!.start, { line: 3, column: '\t/* © — 😀 */ '.length + 1 });
});

test('a big file is lowered without trouble', async () => {
  const one = (i: number): string => `static int f${i}(struct drm_gpuvm_bo *vm_bo, int x)\n{\n\tif (x)\n\t\treturn -EINVAL;\n\tdrm_gpuvm_bo_put_deferred(vm_bo);\n\treturn g${i}(x);\n}\n\n`;
  const text = Array.from({ length: 3000 }, (_, i) => one(i)).join('');
  const ir = await lowerC(text);
  assert.equal(ir.functions.length, 3000);
  assert.ok(ir.functions.every((f) => f.touchesGpuvm && !f.partial));
});

test('sparse annotations and offsetof with an indexed member do not cost a statement', async () => {
  const text = `
static int snap_copy(struct snap *s, struct drm_gem_object *obj) __must_hold(&s->lock)
{
	void __user *uptr = (void __user *)(size_t)s->ofs;
	void *data = kvzalloc(offsetof(struct snap, items[s->n]), GFP_NOWAIT);

	if (!data)
		return -ENOMEM;
	dma_resv_lock(obj->resv, NULL);
	if (copy_from_user(data, uptr, s->len))
		s->err = -EFAULT;
	dma_resv_unlock(obj->resv);
	kvfree(data);
	return 0;
}
`;
  const ir = await lowerC(text);
  const f = fn(ir, 'snap_copy');
  assert.equal(f.partial, undefined);
  assert.deepEqual(ops(f), ['alloc()', 'resv_lock(obj)', 'resv_unlock(obj)']);
  // Positions are those of the text as written.
  const lock = f.nodes.find((n) => n.event.kind === 'api' && n.event.op === 'resv_lock')!;
  assert.equal(lock.span?.start.line, 9);
  assert.equal(text.split('\n')[8]!.slice(lock.span!.start.column - 1).startsWith('dma_resv_lock'), true);
});

test('an error a helper returns reaches its caller through `return helper(...)`', async () => {
  // prepare() cleans up and fails; bind() returns that; the ioctl must not take it as a success.
  const text = `
static int prepare(struct ctx *ctx, struct drm_gpuvm *vm, struct drm_gem_object *obj)
{
	ctx->vm_bo = drm_gpuvm_bo_obtain(vm, obj);
	if (IS_ERR(ctx->vm_bo))
		return PTR_ERR(ctx->vm_bo);
	if (setup_pages(ctx)) {
		drm_gpuvm_bo_put(ctx->vm_bo);
		return -ENOMEM;
	}
	return 0;
}

static int bind(struct ctx *ctx, struct drm_gpuvm *vm, struct drm_gem_object *obj)
{
	return prepare(ctx, vm, obj);
}

int rv_ioctl(struct drm_gpuvm *vm, struct drm_gem_object *obj, struct ctx *ctx)
{
	int ret;

	dma_resv_lock(obj->resv, NULL);
	ret = bind(ctx, vm, obj);
	if (ret) {
		dma_resv_unlock(obj->resv);
		return ret;
	}
	drm_gpuvm_bo_put(ctx->vm_bo);
	dma_resv_unlock(obj->resv);
	return 0;
}

static const struct drm_ioctl_desc rv_ioctls[] = {
	DRM_IOCTL_DEF_DRV(RV, rv_ioctl, 0),
};
`;
  const ir = await lowerC(text);
  const call = fn(ir, 'bind').nodes.map((n) => n.event).find((e) => e.kind === 'call' && e.callee === 'prepare');
  assert.ok(call?.kind === 'call' && call.result && call.result === call.resultVar);
  const r = await reviewC([{ file: 't.c', text }]);
  assert.deepEqual(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}@${f.range.start.line}`), []);
});

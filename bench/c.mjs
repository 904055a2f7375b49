// The C front end: a synthetic 20k-line kernel-style driver (iterator macros,
// goto unwinding, drm_exec loops, guards, GPUVM calls in many functions),
// raw tree-sitter parse vs the whole pipeline (parse + lower + analyse).
import { join } from 'node:path';

export const name = 'c';

/** A small deterministic PRNG, so every run reviews the same file. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const header = `// SPDX-License-Identifier: GPL-2.0
/* Synthetic driver for benchmarking: kernel style, GPUVM in many functions. */

struct syn_vma {
	struct drm_gpuva base;
	struct list_head node;
};

struct syn_device {
	struct device *dev;
	void __iomem *iomem;
	struct clk *core_clk;
	int irq;
	u32 status;
	spinlock_t stats_lock;
	struct list_head vmas;
};

struct syn_vm {
	struct drm_gpuvm base;
	struct mutex op_lock;
	struct mutex vmas_lock;
	spinlock_t stats_lock;
	struct list_head vmas;
	struct syn_op_ctx *op_ctx;
};

struct syn_op_ctx {
	struct syn_vma *prealloc[3];
	struct drm_gpuvm_bo *vm_bo;
	u64 addr, range;
};

static struct dma_resv *syn_vm_resv(struct syn_vm *vm)
{
	return drm_gpuvm_resv(&vm->base);
}

static void syn_vm_bo_free(struct drm_gpuvm_bo *vm_bo)
{
	drm_gem_shmem_unpin(to_syn_bo(vm_bo->obj));
	kfree(vm_bo);
}

`;

// Function templates, each a realistic pattern. `i` makes names unique, `h` names an earlier helper.
const templates = [
  // plain helper: no GPUVM
  (i) => `static u64 syn_pgsize_${i}(u64 addr, u64 size, u32 *count)
{
	u64 blk = addr | size;
	int shift = 0;

	while (blk && !(blk & 1)) {
		blk >>= 1;
		shift++;
	}
	if (shift >= 30) {
		*count = size >> 30;
		return 1ULL << 30;
	}
	if (shift >= 21) {
		*count = size >> 21;
		return 1ULL << 21;
	}
	*count = size >> 12;
	return 1ULL << 12;
}
`,
  // preallocation with goto unwinding
  (i) => `static int syn_prealloc_${i}(struct syn_op_ctx *ctx, struct syn_vm *vm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *pre;
	int ret;

	for (u32 k = 0; k < ARRAY_SIZE(ctx->prealloc); k++) {
		ctx->prealloc[k] = kzalloc(sizeof(*ctx->prealloc[k]), GFP_KERNEL);
		if (!ctx->prealloc[k]) {
			ret = -ENOMEM;
			goto err_free;
		}
	}

	pre = drm_gpuvm_bo_create(&vm->base, obj);
	if (!pre) {
		ret = -ENOMEM;
		goto err_free;
	}

	ctx->vm_bo = drm_gpuvm_bo_obtain_prealloc(pre);
	dma_resv_lock(syn_vm_resv(vm), NULL);
	drm_gpuvm_bo_extobj_add(ctx->vm_bo);
	dma_resv_unlock(syn_vm_resv(vm));
	return 0;

err_free:
	for (u32 k = 0; k < ARRAY_SIZE(ctx->prealloc); k++)
		kfree(ctx->prealloc[k]);
	return ret;
}
`,
  // drm_exec ioctl
  (i, h) => `int syn_validate_ioctl_${i}(struct syn_vm *vm, struct drm_gem_object *obj)
{
	struct drm_exec exec;
	int ret;

	mutex_lock(&vm->op_lock);
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(&vm->base, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			goto out;
		ret = drm_gpuvm_prepare_objects(&vm->base, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			goto out;
		ret = drm_exec_prepare_obj(&exec, obj, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			goto out;
	}
	ret = drm_gpuvm_validate(&vm->base, &exec);
	if (!ret)
		ret = ${h ? `syn_count_${h}(vm)` : '0'};
out:
	drm_exec_fini(&exec);
	mutex_unlock(&vm->op_lock);
	return ret;
}
`,
  // list walk under guards
  (i) => `static int syn_count_${i}(struct syn_vm *vm)
{
	struct syn_vma *vma, *tmp;
	int n = 0;

	guard(mutex)(&vm->vmas_lock);
	list_for_each_entry_safe(vma, tmp, &vm->vmas, node) {
		if (!vma->base.gem.obj)
			continue;
		scoped_guard(spinlock, &vm->stats_lock) {
			n++;
		}
		if (n > 1000)
			break;
	}
	return n;
}
`,
  // sm_step style link under gpuva.lock, deferred put
  (i) => `static int syn_map_step_${i}(struct syn_vm *vm, struct drm_gpuva_op *op)
{
	struct syn_op_ctx *ctx = vm->op_ctx;
	struct syn_vma *vma = ctx->prealloc[0];
	struct drm_gem_object *obj = ctx->vm_bo->obj;

	if (!vma)
		return -EINVAL;
	ctx->prealloc[0] = NULL;

	drm_gpuva_map(&vm->base, &vma->base, &op->map);
	mutex_lock(&obj->gpuva.lock);
	drm_gpuva_link(&vma->base, ctx->vm_bo);
	mutex_unlock(&obj->gpuva.lock);
	drm_gpuvm_bo_put_deferred(ctx->vm_bo);
	ctx->vm_bo = NULL;
	return 0;
}
`,
  // unlink path
  (i) => `static int syn_unmap_step_${i}(struct syn_vm *vm, struct drm_gpuva_op *op)
{
	struct syn_vma *vma = container_of(op->unmap.va, struct syn_vma, base);
	int ret;

	ret = syn_flush_tlb(vm, vma->base.va.addr, vma->base.va.range);
	if (ret)
		return ret;

	drm_gpuva_unmap(&op->unmap);
	drm_gpuva_unlink_defer(&vma->base);
	list_del(&vma->node);
	kfree(vma);
	return 0;
}
`,
  // signalling section calling an earlier step
  (i, h) => `static int syn_exec_${i}(struct syn_vm *vm, struct drm_gpuva_op *op)
{
	bool cookie;
	int ret;

	cookie = dma_fence_begin_signalling();
	mutex_lock(&vm->op_lock);
	ret = ${h ? `syn_map_step_${h}(vm, op)` : 'syn_write_pt(vm, op)'};
	mutex_unlock(&vm->op_lock);
	dma_fence_end_signalling(cookie);
	return ret;
}
`,
  // cleanup from a work item
  (i) => `static void syn_cleanup_${i}(struct syn_op_ctx *ctx, struct syn_vm *vm)
{
	for (u32 k = 0; k < ARRAY_SIZE(ctx->prealloc); k++)
		kfree(ctx->prealloc[k]);

	if (ctx->vm_bo)
		drm_gpuvm_bo_put_deferred(ctx->vm_bo);
	drm_gpuvm_bo_deferred_cleanup(&vm->base);
}
`,
  // switch-heavy dispatch without GPUVM
  (i) => `static const char *syn_op_name_${i}(u32 op, u32 flags)
{
	switch (op) {
	case 0:
		return flags & 1 ? "map-ro" : "map";
	case 1:
		return "unmap";
	case 2:
		if (flags & 2)
			return "remap-sparse";
		return "remap";
	default:
		break;
	}
	return "unknown";
}
`,
  // device bring-up with goto unwinding, no GPUVM
  (i) => `static int syn_hw_init_${i}(struct syn_device *sdev)
{
	int ret;

	ret = clk_prepare_enable(sdev->core_clk);
	if (ret)
		return ret;

	ret = pm_runtime_resume_and_get(sdev->dev);
	if (ret < 0)
		goto err_clk;

	writel(SYN_MMU_ENABLE | SYN_MMU_FLUSH, sdev->iomem + SYN_MMU_CTRL);
	ret = readl_poll_timeout(sdev->iomem + SYN_MMU_STATUS, sdev->status,
				 !(sdev->status & SYN_MMU_BUSY), 10, 100000);
	if (ret) {
		dev_err(sdev->dev, "MMU enable timed out (%d)\n", ret);
		goto err_pm;
	}

	ret = devm_request_irq(sdev->dev, sdev->irq, syn_irq_handler, IRQF_SHARED,
			       dev_name(sdev->dev), sdev);
	if (ret)
		goto err_pm;
	return 0;

err_pm:
	pm_runtime_put_autosuspend(sdev->dev);
err_clk:
	clk_disable_unprepare(sdev->core_clk);
	return ret;
}
`,
  // interrupt handler walking fault registers, no GPUVM
  (i) => `static irqreturn_t syn_irq_${i}(int irq, void *data)
{
	struct syn_device *sdev = data;
	u32 status = readl(sdev->iomem + SYN_MMU_INT_STAT);
	u32 handled = 0;

	if (!status)
		return IRQ_NONE;

	while (status) {
		u32 as = ffs(status) - 1;
		u64 addr = readl(sdev->iomem + SYN_AS_FAULTADDR_LO(as));

		addr |= (u64)readl(sdev->iomem + SYN_AS_FAULTADDR_HI(as)) << 32;
		switch (readl(sdev->iomem + SYN_AS_FAULTSTATUS(as)) & 0xff) {
		case SYN_FAULT_TRANSLATION:
			dev_err_ratelimited(sdev->dev, "translation fault at 0x%llx on AS%u\n", addr, as);
			break;
		case SYN_FAULT_PERMISSION:
			dev_err_ratelimited(sdev->dev, "permission fault at 0x%llx on AS%u\n", addr, as);
			break;
		default:
			dev_warn(sdev->dev, "unknown fault on AS%u\n", as);
			break;
		}
		handled |= BIT(as);
		status &= ~BIT(as);
	}
	writel(handled, sdev->iomem + SYN_MMU_INT_CLEAR);
	return IRQ_HANDLED;
}
`,
  // debugfs dump under a spinlock, no GPUVM
  (i) => `static int syn_debugfs_show_${i}(struct seq_file *m, void *unused)
{
	struct syn_device *sdev = m->private;
	struct syn_vma *vma;
	unsigned long flags;
	u64 total = 0;

	spin_lock_irqsave(&sdev->stats_lock, flags);
	list_for_each_entry(vma, &sdev->vmas, node) {
		seq_printf(m, "%016llx-%016llx\n", vma->base.va.addr,
			   vma->base.va.addr + vma->base.va.range);
		total += vma->base.va.range;
	}
	spin_unlock_irqrestore(&sdev->stats_lock, flags);
	seq_printf(m, "total %llu\n", total);
	return 0;
}
`,
  // page table walk, no GPUVM
  (i) => `static void syn_pt_clear_${i}(u64 *pt, u64 start, u64 end, int level)
{
	for (u64 addr = start; addr < end;) {
		u32 idx = (addr >> (12 + 9 * level)) & 511;
		u64 next = min(end, ALIGN(addr + 1, 1ULL << (12 + 9 * (level + 1))));

		if (!(pt[idx] & SYN_PTE_VALID)) {
			addr = next;
			continue;
		}
		if (level > 0 && !(pt[idx] & SYN_PTE_BLOCK))
			syn_pt_clear_${i}(phys_to_virt(pt[idx] & SYN_PTE_ADDR), addr, next, level - 1);
		else
			pt[idx] = 0;
		addr = next;
	}
}
`,
];

/**
 * How often each template is used. Calibrated on the GPUVM files of the
 * kernel (drm_gpuvm.c, panthor_mmu.c, xe_vm.c, nouveau_uvmm.c, msm_gem_vma.c,
 * pvr_vm.c): about half of their functions can reach a GPUVM, lock or
 * allocation call, the rest are plain helpers.
 */
const weights = [2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2];
const totalWeight = weights.reduce((a, b) => a + b, 0);

function pick(x) {
  let acc = 0;
  for (let t = 0; t < weights.length; t++) {
    acc += weights[t] / totalWeight;
    if (x < acc) return t;
  }
  return weights.length - 1;
}

export function generate(lines) {
  const r = rng(42);
  const out = [header];
  let n = 0;
  let count = header.split('\n').length;
  const made = { 3: [], 4: [] };
  while (count < lines) {
    const t = pick(r());
    const helperOf = t === 2 ? made[3] : t === 6 ? made[4] : [];
    const h = helperOf.length ? helperOf[Math.floor(r() * helperOf.length)] : undefined;
    const fn = templates[t](n, h);
    out.push(fn, '\n');
    count += fn.split('\n').length;
    if (made[t]) made[t].push(n);
    n++;
  }
  out.push(`static const struct drm_gpuvm_ops syn_gpuvm_ops = {
	.vm_bo_free = syn_vm_bo_free,
};

void syn_vm_init(struct syn_vm *vm, struct drm_device *drm, struct drm_gem_object *r_obj)
{
	drm_gpuvm_init(&vm->base, "syn", DRM_GPUVM_RESV_PROTECTED | DRM_GPUVM_IMMEDIATE_MODE,
		       drm, r_obj, 0, 1ULL << 48, 0, 0, &syn_gpuvm_ops);
}
`);
  return out.join('');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

export async function run({ root, require }) {
  const { loadParsers } = require(join(root, 'out/src/syntax/parser.js'));
  const { nodeWasmLoader } = require(join(root, 'out/src/syntax/node-loader.js'));
  const { reviewSources } = require(join(root, 'out/src/review.js'));
  const parsers = await loadParsers(nodeWasmLoader([join(root, 'dist')]));
  const text = generate(20000);
  const lines = text.split('\n').length;
  const now = () => Number(process.hrtime.bigint()) / 1e6;

  // Warm up both paths, then time them alternately.
  for (let i = 0; i < 2; i++) { parsers.c.parse(text).delete(); reviewSources(parsers, [{ file: 'syn.c', text, language: 'c' }]); }
  const parse = [];
  const pipeline = [];
  let last;
  // Each pair is timed back to back, and the ratio is the median of the pairs'
  // ratios: load from other processes shifts both sides of a pair alike.
  const ratios = [];
  for (let i = 0; i < 7; i++) {
    let t = now();
    parsers.c.parse(text).delete();
    parse.push(now() - t);
    t = now();
    last = reviewSources(parsers, [{ file: 'syn.c', text, language: 'c' }]);
    pipeline.push(now() - t);
    ratios.push(pipeline[i] / parse[i]);
  }
  const fnMs = last.result.functions.filter((f) => f.explored).map((f) => f.explored.ms);
  const json = {
    lines, functions: last.result.stats.functions, analysed: last.result.stats.analysed,
    parseMs: Math.round(median(parse)), pipelineMs: Math.round(median(pipeline)), parseAndLowerMs: last.lowerMs,
    analyseMs: last.result.stats.ms,
    ratio: Number(median(ratios).toFixed(2)),
    maxFunctionMs: Math.max(0, ...fnMs),
    functionMs: { p50: pct(fnMs, 0.5), p90: pct(fnMs, 0.9), p99: pct(fnMs, 0.99) },
    incomplete: last.result.functions.filter((f) => f.explored?.incomplete).length,
    findings: last.findings.filter((f) => f.severity !== 'info').length,
  };
  return {
    json,
    lines: [
      `${lines} lines, ${json.functions} functions (${json.analysed} analysed): parse ${json.parseMs} ms, parse + lower + analyse ${json.pipelineMs} ms (parse + lower ${json.parseAndLowerMs} ms, analyse ${json.analyseMs} ms)`,
      `ratio ${json.ratio} (target <= 3); slowest function ${json.maxFunctionMs} ms (target <= 50); per function p50 ${json.functionMs.p50} / p90 ${json.functionMs.p90} / p99 ${json.functionMs.p99} ms; ${json.incomplete} incomplete, ${json.findings} findings`,
    ],
  };
}

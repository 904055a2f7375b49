// The Rust review on large synthetic driver files: raw tree-sitter parse time
// against the whole pipeline (parse, lower, analyse) in the same run, the
// per-function analysis times, and a path explosion that must stay bounded.
import { join } from 'node:path';

export const name = 'rust';

/** A small deterministic PRNG, so every run reviews the same code. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The driver's VM: one DriverGpuVm implementation with its split/merge steps, map and unmap. */
const VM = `
/// Page table updates of one sm_map()/sm_unmap() call.
pub(crate) struct StepCtx<'a> {
    pt: &'a PageTable,
    prealloc: &'a mut [Option<GpuVaAlloc<VmData>>; 3],
    vm_bo: Option<ARef<GpuVmBo<VmData>>>,
}

impl<'a> StepCtx<'a> {
    fn take_va(&mut self) -> Result<GpuVaAlloc<VmData>> {
        self.prealloc.iter_mut().find_map(|slot| slot.take()).ok_or(EINVAL)
    }

    fn give_back(&mut self, va: GpuVaAlloc<VmData>) {
        if let Some(slot) = self.prealloc.iter_mut().find(|s| s.is_none()) {
            *slot = Some(va);
        }
    }
}

pub(crate) struct VmData {
    pt: PageTable,
}

pub(crate) struct Vm {
    unique: Mutex<UniqueRefGpuVm<VmData>>,
    gpuvm: ARef<GpuVm<VmData>>,
    pt: PageTable,
    range: Range<u64>,
}

impl Vm {
    pub(crate) fn new(dev: &Device, range: Range<u64>) -> Result<Arc<Vm>> {
        let pt = PageTable::new(dev, range.clone())?;
        let unique = GpuVm::new(c_str!("synthetic"), dev, dummy_object()?, range.clone(), 0..0, VmData { pt: pt.clone() })?;
        let gpuvm = ARef::from(&*unique);
        Ok(Arc::new(Vm { unique: Mutex::new(unique), gpuvm, pt, range }, GFP_KERNEL)?)
    }

    pub(crate) fn map(&self, bo: &Bo, va: Range<u64>, offset: u64) -> Result {
        if va.start >= va.end || va.end > self.range.end {
            return Err(EINVAL);
        }
        let mut prealloc = [Some(GpuVaAlloc::new(GFP_KERNEL)?), Some(GpuVaAlloc::new(GFP_KERNEL)?), Some(GpuVaAlloc::new(GFP_KERNEL)?)];
        let vm_bo = self.gpuvm.obtain(bo, ())?;
        let result = {
            let mut unique = self.unique.lock();
            let mut ctx = StepCtx { pt: &self.pt, prealloc: &mut prealloc, vm_bo: Some(vm_bo.clone()) };
            unique.sm_map(OpMapRequest { addr: va.start, range: va.end - va.start, gem_offset: offset, vm_bo: &vm_bo, context: &mut ctx })
        };
        drop(vm_bo);
        self.gpuvm.deferred_cleanup();
        self.pt.flush(va.clone())?;
        result.inspect_err(|e| pr_err!("map failed: {:?}\\n", e))
    }

    pub(crate) fn unmap(&self, va: Range<u64>) -> Result {
        let mut prealloc = [Some(GpuVaAlloc::new(GFP_KERNEL)?), Some(GpuVaAlloc::new(GFP_KERNEL)?), None];
        let result = {
            let mut unique = self.unique.lock();
            let mut ctx = StepCtx { pt: &self.pt, prealloc: &mut prealloc, vm_bo: None };
            unique.sm_unmap(va.start, va.end - va.start, &mut ctx)
        };
        self.gpuvm.deferred_cleanup();
        self.pt.flush(va)?;
        result
    }
}

impl DriverGpuVm for VmData {
    type Driver = Driver;
    type Object = Bo;
    type VmBoData = ();
    type VaData = ();
    type SmContext<'ctx> = StepCtx<'ctx>;

    fn sm_step_map<'op>(&mut self, op: OpMap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpMapped<'op, Self>, Error> {
        ctx.pt.map_reserved(op.addr(), op.length(), op.gem_offset())?;
        let va = ctx.take_va()?;
        Ok(op.insert(va, ()))
    }

    fn sm_step_unmap<'op>(&mut self, op: OpUnmap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpUnmapped<'op, Self>, Error> {
        ctx.pt.unmap(op.va().addr(), op.va().length())?;
        let (done, _removed) = op.remove();
        Ok(done)
    }

    fn sm_step_remap<'op>(&mut self, op: OpRemap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpRemapped<'op, Self>, Error> {
        let prev = ctx.take_va()?;
        let next = ctx.take_va()?;
        let (done, ret) = op.remap([prev, next], (), ());
        if let Some(unused) = ret.unused_va {
            ctx.give_back(unused);
        }
        Ok(done)
    }
}
`;

/** Register blocks: MMIO accessors behind unsafe with SAFETY comments, enums, matches. */
function regs(i, rnd) {
  const n = 3 + Math.floor(rnd() * 4);
  const fields = [];
  for (let k = 0; k < n; k++) {
    fields.push(`
    /// Reads register ${k} of block ${i}.
    pub(crate) fn read_${k}(&self) -> Result<u32> {
        let off = REG_BASE_${i} + ${k * 4};
        if off as usize >= self.len {
            return Err(EINVAL);
        }
        // SAFETY: \`off\` is within the mapped MMIO region checked above.
        let v = unsafe { bindings::readl(self.base.add(off as usize).cast()) };
        Ok(v & MASK_${k})
    }

    pub(crate) fn write_${k}(&self, v: u32) -> Result {
        let off = REG_BASE_${i} + ${k * 4};
        if off as usize >= self.len {
            return Err(EINVAL);
        }
        // SAFETY: \`off\` is within the mapped MMIO region checked above, and the
        // register accepts any value that fits in the mask.
        unsafe { bindings::writel(v & MASK_${k}, self.base.add(off as usize).cast()) };
        Ok(())
    }`);
  }
  return `
/// State of power domain ${i}.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Power${i} {
    Off,
    On,
    Transition(u32),
}

impl Power${i} {
    pub(crate) fn from_raw(v: u32) -> Option<Self> {
        match v & 0x3 {
            0 => Some(Power${i}::Off),
            1 => Some(Power${i}::On),
            2 => Some(Power${i}::Transition(v >> 2)),
            _ => None,
        }
    }
}

/// MMIO block ${i}.
pub(crate) struct Regs${i} {
    base: *mut u8,
    len: usize,
}

// SAFETY: the MMIO region may be accessed from any thread; accesses are single registers.
unsafe impl Send for Regs${i} {}

impl Regs${i} {${fields.join('\n')}

    pub(crate) fn power(&self) -> Result<Power${i}> {
        let raw = self.read_0()?;
        Power${i}::from_raw(raw).ok_or(EIO)
    }

    pub(crate) fn wait_power(&self, want: Power${i}, tries: u32) -> Result {
        for _ in 0..tries {
            match self.power()? {
                p if p == want => return Ok(()),
                Power${i}::Transition(n) if n > 8 => return Err(ETIMEDOUT),
                _ => fsleep(Delta::from_micros(10)),
            }
        }
        Err(ETIMEDOUT)
    }
}
`;
}

/** Firmware parsing: slices, iterators, closures, `?`, if-let. */
function firmware(i, rnd) {
  const n = 2 + Math.floor(rnd() * 3);
  const parsers = [];
  for (let k = 0; k < n; k++) {
    parsers.push(`
    fn section_${k}(&self, data: &[u8]) -> Result<KVec<Entry${i}>> {
        let mut out = KVec::new();
        let count = data.get(0..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok_or(EINVAL)?;
        for idx in 0..count as usize {
            let start = 4 + idx * 8;
            let Some(chunk) = data.get(start..start + 8) else {
                dev_warn!(self.dev, "short section ${k} at {}\\n", idx);
                break;
            };
            let e = Entry${i} { addr: u64::from(chunk[0]) << ${k + 12}, flags: chunk[1] };
            if e.flags & 0x80 != 0 {
                continue;
            }
            out.push(e, GFP_KERNEL)?;
        }
        out.sort_by(|a, b| a.addr.cmp(&b.addr));
        Ok(out)
    }`);
  }
  return `
#[derive(Clone, Copy)]
pub(crate) struct Entry${i} {
    addr: u64,
    flags: u8,
}

pub(crate) struct Firmware${i} {
    dev: ARef<Device>,
    sections: KVec<KVec<Entry${i}>>,
}

impl Firmware${i} {${parsers.join('\n')}

    pub(crate) fn load(dev: &Device, data: &[u8]) -> Result<Self> {
        let mut fw = Firmware${i} { dev: dev.into(), sections: KVec::new() };
        ${Array.from({ length: n }, (_, k) => `let s${k} = fw.section_${k}(data)?;\n        fw.sections.push(s${k}, GFP_KERNEL)?;`).join('\n        ')}
        if fw.sections.iter().all(|s| s.is_empty()) {
            return Err(ENOENT);
        }
        Ok(fw)
    }
}
`;
}

/** GPUVM users: vm_bo handles kept, cloned and dropped; gpuva lock guards; `?` between them. */
function vmBoUsers(i, rnd) {
  const withBug = rnd() < 0.1;
  return `
/// Buffer objects of context ${i} bound to the VM.
pub(crate) struct Bound${i} {
    vm_bos: KVec<ARef<GpuVmBo<VmData>>>,
    pending: Option<ARef<GpuVmBo<VmData>>>,
}

impl Bound${i} {
    pub(crate) fn bind(&mut self, vm: &Vm, bo: &Bo) -> Result {
        let vm_bo = vm.gpuvm.obtain(bo, ())?;
        if self.vm_bos.iter().any(|v| core::ptr::eq(&**v, &*vm_bo)) {
            drop(vm_bo);
            vm.gpuvm.deferred_cleanup();
            return Err(EEXIST);
        }
        ${withBug ? 'let extra = GpuVaAlloc::new(GFP_KERNEL)?;\n        drop(extra);\n        ' : ''}self.vm_bos.push(vm_bo, GFP_KERNEL)?;
        Ok(())
    }

    pub(crate) fn stage(&mut self, vm: &Vm, bo: &Bo) -> Result {
        let vm_bo = vm.gpuvm.obtain(bo, ())?;
        match self.pending.replace(vm_bo.clone()) {
            Some(old) => {
                drop(old);
                drop(vm_bo);
            }
            None => drop(vm_bo),
        }
        vm.gpuvm.deferred_cleanup();
        Ok(())
    }

    pub(crate) fn count_mapped(&self, bo: &Bo) -> usize {
        let guard = bo.lock_gpuva();
        let mut n = 0;
        for vm_bo in self.vm_bos.iter() {
            if core::ptr::eq(vm_bo.obj(), bo) {
                n += 1;
            }
        }
        drop(guard);
        n
    }

    pub(crate) fn release(&mut self, vm: &Vm) {
        while let Some(vm_bo) = self.vm_bos.pop() {
            drop(vm_bo);
        }
        if let Some(p) = self.pending.take() {
            drop(p);
        }
        vm.gpuvm.deferred_cleanup();
    }
}
`;
}

/** Job setup: mutex and spinlock guards, closures handed to a workqueue, Arc clones. */
function jobs(i, rnd) {
  return `
pub(crate) struct Queue${i} {
    state: SpinLock<QueueState>,
    jobs: Mutex<KVec<Arc<Job>>>,
    vm: Arc<Vm>,
}

impl Queue${i} {
    pub(crate) fn push(&self, job: Arc<Job>) -> Result {
        {
            let state = self.state.lock();
            if state.stopped {
                return Err(ESHUTDOWN);
            }
        }
        let mut jobs = self.jobs.lock();
        if jobs.len() >= MAX_JOBS {
            return Err(EBUSY);
        }
        jobs.push(job, GFP_KERNEL)?;
        Ok(())
    }

    pub(crate) fn kick(self: &Arc<Self>) -> Result {
        let this = self.clone();
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            let jobs = this.jobs.lock();
            for j in jobs.iter() {
                if let Err(e) = j.prepare(&this.vm) {
                    pr_warn!("job {} failed: {:?}\\n", j.id, e);
                }
            }
        })?;
        Ok(())
    }

    pub(crate) fn stop(&self) -> usize {
        let mut state = self.state.lock();
        state.stopped = true;
        let n = state.in_flight;
        drop(state);
        let mut jobs = self.jobs.lock();
        let dropped = jobs.len();
        jobs.clear();
        dropped + n as usize
    }
}
`;
}

const KINDS = [[regs, 0.35], [firmware, 0.25], [vmBoUsers, 0.2], [jobs, 0.2]];

export function generate(lines, seed = 1) {
  const rnd = prng(seed);
  const head = '// SPDX-License-Identifier: GPL-2.0\n//! A synthetic GPUVM driver for the benchmark.\n\nuse kernel::drm::gpuvm::{DriverGpuVm, GpuVaAlloc, GpuVm, GpuVmBo, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped, UniqueRefGpuVm};\n';
  const parts = [head, VM];
  let count = (head + VM).split('\n').length;
  for (let n = 0; count < lines; n++) {
    let r = rnd();
    let gen = KINDS[KINDS.length - 1][0];
    for (const [g, w] of KINDS) {
      if (r < w) { gen = g; break; }
      r -= w;
    }
    const c = gen(n, rnd);
    parts.push(c);
    count += c.split('\n').length - 1;
  }
  return parts.join('');
}

/** One function with 40 sequential branches and a loop, each changing the state of a vm_bo. */
export function explosion() {
  const body = [];
  for (let i = 0; i < 40; i++) body.push(`    if flags & (1 << ${i}) != 0 {\n        keep.push(vm_bo.clone(), GFP_NOWAIT)?;\n    }`);
  return `use kernel::drm::gpuvm::{GpuVm, GpuVmBo};
pub(crate) fn explode(vm: &GpuVm<D>, bo: &Bo, flags: u64, keep: &mut KVec<ARef<GpuVmBo<D>>>) -> Result {
    let vm_bo = vm.obtain(bo, ())?;
${body.join('\n')}
    for i in 0..flags {
        if i % 3 == 0 {
            keep.push(vm_bo.clone(), GFP_NOWAIT)?;
        }
    }
    drop(vm_bo);
    vm.deferred_cleanup();
    Ok(())
}
`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
}

/** Wall and CPU milliseconds of f (CPU time is what this process used: on a busy machine wall time is noise). */
function timed(f) {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = f();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return { value, wall, cpu: (u.user + u.system) / 1000 };
}

export async function run({ root }) {
  const out = (p) => require(join(root, 'out', 'src', p));
  const { loadParsers } = out('syntax/parser.js');
  const { nodeWasmLoader } = out('syntax/node-loader.js');
  const { reviewSources } = out('review.js');
  const parsers = await loadParsers(nodeWasmLoader());
  const text = generate(10000);
  const lines = text.split('\n').length;
  const src = [{ file: 'bench/synthetic.rs', text, language: 'rust' }];

  // Warm up both, then alternate so both see the same machine.
  for (let i = 0; i < 3; i++) { parsers.rust.parse(text).delete(); reviewSources(parsers, src, {}); }
  const parse = { wall: [], cpu: [] };
  const pipeline = { wall: [], cpu: [] };
  let last;
  for (let i = 0; i < 9; i++) {
    const a = timed(() => parsers.rust.parse(text).delete());
    parse.wall.push(a.wall);
    parse.cpu.push(a.cpu);
    const b = timed(() => reviewSources(parsers, src, {}));
    pipeline.wall.push(b.wall);
    pipeline.cpu.push(b.cpu);
    last = b.value;
  }
  const fnMs = last.result.functions.filter((f) => f.explored).map((f) => f.explored.ms);
  const findings = last.findings.filter((f) => f.severity !== 'info').length;
  const incomplete = last.findings.filter((f) => f.rule === 'analysis-incomplete').length;

  const ex = [{ file: 'bench/explosion.rs', text: explosion(), language: 'rust' }];
  const e = timed(() => reviewSources(parsers, ex, {}));
  const er = e.value;
  const exInc = er.findings.find((f) => f.rule === 'analysis-incomplete');

  const r1 = (x) => +x.toFixed(1);
  const json = {
    lines, bytes: Buffer.byteLength(text), functions: last.result.stats.functions, analysed: last.result.stats.analysed,
    parseMs: r1(median(parse.wall)), pipelineMs: r1(median(pipeline.wall)),
    parseCpuMs: r1(median(parse.cpu)), pipelineCpuMs: r1(median(pipeline.cpu)),
    ratio: +(median(pipeline.wall) / median(parse.wall)).toFixed(2),
    cpuRatio: +(median(pipeline.cpu) / median(parse.cpu)).toFixed(2),
    lowerMs: last.lowerMs, analyseMs: last.result.stats.ms,
    functionMs: { p50: pct(fnMs, 50), p90: pct(fnMs, 90), p99: pct(fnMs, 99), max: Math.max(0, ...fnMs) },
    maxFunctionMs: last.result.stats.maxFunctionMs,
    states: last.result.stats.states, findings, incomplete,
    explosion: { ms: Math.round(e.wall), cpuMs: Math.round(e.cpu), states: er.result.stats.states, bounded: !!exInc, message: exInc?.message ?? null },
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
  };
  const linesOut = [
    `synthetic driver: ${lines} lines, ${json.functions} functions (${json.analysed} analysed), ${findings} findings`,
    `tree-sitter parse ${json.parseCpuMs} ms cpu (${json.parseMs} wall) | parse + lower + analyse ${json.pipelineCpuMs} ms cpu (${json.pipelineMs} wall; last run: lowering ${json.lowerMs}, analysis ${json.analyseMs})`,
    `ratio ${json.ratio} (process CPU time: ${json.cpuRatio}; target <= 3)`,
    `per-function analysis ms: p50 ${json.functionMs.p50}, p90 ${json.functionMs.p90}, p99 ${json.functionMs.p99}, max ${json.maxFunctionMs} (target <= 50)`,
    `path explosion (40 branches and a loop): ${json.explosion.ms} ms, ${json.explosion.states} states, ${json.explosion.bounded ? `stopped by the budget (analysis-incomplete: ${json.explosion.message})` : 'complete'}`,
    `rss ${json.rssMb} MB`,
  ];
  return { json, lines: linesOut };
}

const require = (await import('node:module')).createRequire(import.meta.url);

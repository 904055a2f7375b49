// Functions that cannot touch GPUVM state are read from their text: the
// call graph and the allocations must come out as the full lowering gives
// them, and whatever the text cannot type must go to the full lowering.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IrFunction } from '../../src/analysis/ir';
import { lowerFnItem, rolesOf } from '../../src/syntax/rust/function';
import { collectItems } from '../../src/syntax/rust/items';
import { lowerLight, needsFullLowering, stateWords } from '../../src/syntax/rust/light';
import type { FileCtx } from '../../src/syntax/rust/lower';
import { SourceText } from '../../src/syntax/rust/source';
import { FIXTURES, found, getParsers, reviewTexts } from './kit';

/** Program callees and API events of functions, as sorted lists. */
function events(fns: IrFunction[]): { calls: string[]; apis: string[] } {
  const calls = new Set<string>();
  const apis: string[] = [];
  for (const f of fns) {
    for (const n of f.nodes) {
      const ev = n.event;
      if (ev.kind === 'call' && !ev.callee.startsWith('?::') && !ev.callee.includes('{closure')) calls.add(ev.callee);
      if (ev.kind === 'api') apis.push(ev.op);
    }
  }
  return { calls: [...calls].sort(), apis: apis.sort() };
}

/** Both lowerings of every function the text pass takes. */
async function bothWays(text: string): Promise<Array<{ name: string; light: IrFunction; full: IrFunction[] }>> {
  const p = await getParsers();
  const tree = p.rust.parse(text)!;
  try {
    const src = new SourceText(text);
    const items = collectItems(tree.rootNode, src);
    const words = stateWords(items, src.code);
    const ctx = (): FileCtx => ({ file: 't.rs', src, items, gen: 'upstream', opts: {}, closures: [], usedIds: new Set() });
    const out = [];
    for (const it of items.fns) {
      if (!it.body || needsFullLowering(it, src.code.slice(it.node.startIndex, it.node.endIndex), words)) continue;
      const light = lowerLight(ctx(), it, rolesOf(it));
      if (light) out.push({ name: light.displayName, light, full: lowerFnItem(ctx(), it) });
    }
    return out;
  } finally {
    tree.delete();
  }
}

const straight = (f: IrFunction): boolean => f.nodes.every((n) => n.succ.length <= 1 && n.event.kind !== 'assume');

test('light: on every fixture, a function read from its text calls and allocates as its full lowering says', async () => {
  let n = 0;
  const texts = readdirSync(FIXTURES).filter((x) => x.endsWith('.rs')).map((f) => ({ f, text: readFileSync(join(FIXTURES, f), 'utf8') }));
  for (const { f, text } of [...texts, { f: 'driver.rs', text: DRIVER }]) {
    for (const { name, light, full } of await bothWays(text)) {
      assert.deepEqual(events([light]), events(full), `${f}: ${name}`);
      n++;
    }
  }
  assert.ok(n >= 15, `${n} functions read from their text`);
});

const DRIVER = `use kernel::drm::gpuvm::{GpuVm, GpuVmBo};
pub(crate) struct Vm { gpuvm: ARef<GpuVm<VmData>>, pt: PageTable }
pub(crate) struct Queue { vm: Option<Arc<Vm>>, regs: Regs, seqno: u64 }

impl Vm {
    fn grow_tables(&self, len: u64) -> Result {
        let mut tables = KVec::new();
        tables.push(PageTable::new(len)?, GFP_KERNEL)?;
        Ok(())
    }
}

impl Regs {
    fn ring(&self, seqno: u64) {}
}

impl Queue {
    fn prepare(&self, len: u64) -> Result {
        let vm = self.vm.as_ref().ok_or(EINVAL)?;
        vm.grow_tables(len)
    }

    fn kick(&self) {
        self.regs.ring(self.seqno + 1);
    }
}

impl JobOps for Queue {
    fn run_job(&self, job: &Job) -> Result {
        self.prepare(job.len)?;
        self.kick();
        Ok(())
    }
}
`;

test('light: run_job read from its text still reaches an allocation two calls down (signalling-alloc)', async () => {
  const r = await reviewTexts([{ file: 'driver.rs', text: DRIVER }]);
  const fns = r.irFiles[0]!.functions;
  const runJob = fns.find((f) => f.displayName === 'Queue::run_job')!;
  assert.ok(straight(runJob), 'run_job is read from its text');
  assert.deepEqual(runJob.callees.sort(), ['Queue::kick', 'Queue::prepare']);
  assert.ok(straight(fns.find((f) => f.displayName === 'Queue::prepare')!), 'a let bound to a typed call result is typed');
  assert.deepEqual(found(r.findings.filter((f) => f.rule.startsWith('signalling'))), ['signalling-alloc@8']);
});

test('light: a receiver bound by a pattern goes to the full lowering, which types it', async () => {
  const text = DRIVER.replace(
    'let vm = self.vm.as_ref().ok_or(EINVAL)?;\n        vm.grow_tables(len)',
    'if let Some(vm) = self.vm.as_ref() {\n            vm.grow_tables(len)?;\n        }\n        Ok(())',
  );
  const r = await reviewTexts([{ file: 'driver.rs', text }]);
  const prepare = r.irFiles[0]!.functions.find((f) => f.displayName === 'Queue::prepare')!;
  assert.ok(!straight(prepare), 'lowered in full');
  assert.deepEqual(prepare.callees, ['Vm::grow_tables']);
  assert.deepEqual(found(r.findings.filter((f) => f.rule.startsWith('signalling'))), ['signalling-alloc@8']);
});

test('light: what names a handle-holding field, struct or function is lowered in full', async () => {
  const p = await getParsers();
  const text = `use kernel::drm::gpuvm::{GpuVm, GpuVmBo};
struct Binding { handle: ARef<GpuVmBo<T>>, addr: u64 }
struct Plain { addr: u64 }
fn lookup(b: &Binding) -> ARef<GpuVmBo<T>> { b.handle.clone() }
fn addr_of(b: &Plain) -> u64 { b.addr }
impl Drop for Binding { fn drop(&mut self) { pr_debug!("unbind\\n"); } }
fn uses_field(x: &Holder) -> u64 { x.handle.count() + x.addr }
fn uses_fn(b: &Thing) { let v = lookup(b); }
fn plain(p: &Plain) -> u64 { addr_of(p) * 2 }
`;
  const tree = p.rust.parse(text)!;
  try {
    const src = new SourceText(text);
    const items = collectItems(tree.rootNode, src);
    const words = stateWords(items, src.code);
    const full = items.fns.filter((f) => needsFullLowering(f, src.code.slice(f.node.startIndex, f.node.endIndex), words)).map((f) => f.name);
    assert.deepEqual(full, ['lookup', 'drop', 'uses_field', 'uses_fn']);
  } finally {
    tree.delete();
  }
});

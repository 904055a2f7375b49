// SimulationView data for the webview tests and the render benchmark: the
// fixtures made from the bundled scenarios, and views derived from them (several
// paths, threads, hostile text, a long trace).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceStep } from '../../src/model/trace';
import type { SimulationView } from '../../src/model/view';
import { sim } from '../helpers';

/** The repository root, from out/test/webview or test/webview. */
export const ROOT = join(__dirname, __dirname.includes(join('out', 'test')) ? '../../..' : '../..');

export function fixture(name: 'rules-signalling-gem-put.bad' | 'seeds-prealloc-freed-when-found' | 'seeds-unlink-defer-in-run-job'): SimulationView {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/views', `${name}.json`), 'utf8')) as SimulationView;
}

/** Three paths, findings first, as a function view would have them. */
export function multiPathView(): SimulationView {
  const [a, b, c] = [fixture('rules-signalling-gem-put.bad'), fixture('seeds-prealloc-freed-when-found'), fixture('seeds-unlink-defer-in-run-job')];
  return {
    kind: 'function', title: 'panthor_vm_bind_run_job', file: a.file, language: 'gpuvm',
    context: 'DMA-fence signalling path (run_job)', mode: 'immediate mode, RESV_PROTECTED',
    paths: [
      { ...a.paths[0]!, id: 'unlink', label: 'unmap: plain drm_gpuva_unlink' },
      { ...b.paths[0]!, id: 'found', label: 'obtain_prealloc found an existing vm_bo' },
      { ...c.paths[0]!, id: 'clean', label: 'normal return' },
    ],
  };
}

/** The thread each context of the unlink-defer seed runs on, as a concurrency trace would tag it. */
export function threadedView(): SimulationView {
  const v = fixture('seeds-unlink-defer-in-run-job');
  const threadOf = (ctx: string): string | undefined =>
    ctx.startsWith('run_job') ? 'sched' : ctx.startsWith('workqueue') ? 'worker' : ctx.startsWith('ioctl') ? 'ioctl' : undefined;
  const steps = v.paths[0]!.steps.map((st): TraceStep => {
    const thread = threadOf(st.context);
    return thread ? { ...st, thread } : st;
  });
  return { ...v, title: 'threads', paths: [{ ...v.paths[0]!, steps }] };
}

export const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';
export const HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">';

/** Every string that comes from the code under review, replaced by markup that must stay text. */
export function hostileView(): SimulationView {
  const v = fixture('rules-signalling-gem-put.bad');
  const evil = (s: string) => `${s} ${HOSTILE_SCRIPT} ${HOSTILE_IMG}`;
  const file = `drivers/gpu/${HOSTILE_IMG}.rs`;
  const path = v.paths[0]!;
  return {
    ...v, title: evil(v.title), file, context: evil(v.context), mode: evil('mode'), incomplete: evil('budget'),
    paths: [
      {
        ...path, label: evil(path.label),
        findings: path.findings.map((f) => ({ ...f, file, message: evil(f.message), rule: `${f.rule}${HOSTILE_IMG}` })),
        steps: path.steps.map((st) => ({
          ...st, label: evil(st.label), thread: HOSTILE_SCRIPT, notes: st.notes.map(evil), assumptions: [evil('caller')],
          ...(st.result !== undefined ? { result: evil(st.result) } : {}),
          ...(st.location ? { location: { ...st.location, file } } : {}),
          violations: st.violations.map((x) => ({ ...x, message: evil(x.message), rule: `${x.rule}${HOSTILE_SCRIPT}` })),
          after: {
            ...st.after,
            context: { ...st.after.context, name: evil(st.after.context.name) },
            objects: st.after.objects.map((o) => ({ ...o, label: evil(o.label), lists: o.lists.map(evil), facts: o.facts.map(evil) })),
            locks: st.after.locks.map((l) => ({ ...l, label: evil(l.label) })),
          },
        })),
      },
      { ...path, id: HOSTILE_SCRIPT, label: HOSTILE_IMG },
    ],
  };
}

/**
 * A long trace from a real simulation: `binds` GEM objects each bound in an
 * ioctl, mapped and unmapped in run_job and cleaned up in a work item, one of
 * them with a plain unlink in the signalling path. Cut to exactly `steps` steps.
 */
export function longView(steps = 200, binds = 12): SimulationView {
  const lines = ['vm vm resv_protected immediate'];
  for (let i = 0; i < binds; i++) lines.push(`gem bo${i} external`);
  for (let i = 0; i < binds; i++) {
    const unlink = i === binds >> 1 ? `  mutex_lock(bo${i}->gpuva.lock)\n  drm_gpuva_unlink(va${i})\n  mutex_unlock(bo${i}->gpuva.lock)` : `  drm_gpuva_unlink_defer(va${i})`;
    lines.push(`
ioctl bind${i}:
  pre${i} = drm_gpuvm_bo_create(vm, bo${i})
  vm_bo${i} = drm_gpuvm_bo_obtain_prealloc(pre${i})
  dma_resv_lock(vm)
  drm_gpuvm_bo_extobj_add(vm_bo${i})
  dma_resv_unlock(vm)
  va${i} = GpuVaAlloc::new(GFP_KERNEL)

run_job map${i}:
  drm_gpuva_map(vm, va${i}, bo${i})
  mutex_lock(bo${i}->gpuva.lock)
  drm_gpuva_link(va${i}, vm_bo${i})
  mutex_unlock(bo${i}->gpuva.lock)
  drm_gpuvm_bo_put_deferred(vm_bo${i})

run_job unmap${i}:
  drm_gpuva_unmap(va${i})
${unlink}
  kfree(va${i})

workqueue cleanup${i}:
  drm_gpuvm_bo_deferred_cleanup(vm)`);
  }
  const file = 'bench/long.gpuvm';
  const r = sim(lines.join('\n'), file);
  if (r.steps.length < steps) throw new Error(`longView: the scenario has only ${r.steps.length} steps`);
  const cut = r.steps.slice(0, steps);
  const findings = r.findings.filter((f) => cut.some((st) => st.violations.some((v) => v.rule === f.rule && v.message === f.message)))
    .map(({ steps: _steps, ...f }) => f);
  return {
    kind: 'scenario', title: `long trace (${steps} steps)`, file, language: 'gpuvm', context: 'scenario', mode: 'immediate mode, RESV_PROTECTED',
    paths: [{ id: 'p0', label: 'scenario', findings, steps: cut }],
  };
}

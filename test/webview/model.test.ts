// The webview's pure parts, on the fixtures: the vm_bo lifecycle derived from
// snapshots, the timeline lanes, cursor matching, the review text, the page's
// CSP and the message checks.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../media/html';
import { LIFE_EDGES, lifeCaption, lifeEdges, vmBoLifecycles, type VmBoLife } from '../../media/lifecycle';
import { basisPath } from '../../media/curve';
import { buildTimeline } from '../../media/timeline-model';
import { sameFile, stepAtCursor } from '../../media/cursor';
import { reviewText } from '../../media/copy-text';
import { isState, isToWebview } from '../../media/messages';
import { traceToText } from '../../src/model/trace';
import { findingLine } from '../../src/report/text';
import { sim } from '../helpers';
import { fixture, multiPathView, threadedView } from './views';

const transitions = (l: VmBoLife) => l.transitions.map((t) => `${t.from}>${t.to}@${t.pos}${t.severity ? `:${t.severity}` : ''}`);

describe('vm_bo lifecycle from snapshots', () => {
  test('the immediate-mode design: created, registered, extobj, zombie in run_job, freed by the work item', () => {
    const [life, ...more] = vmBoLifecycles(fixture('seeds-unlink-defer-in-run-job').paths[0]!.steps);
    assert.equal(more.length, 0);
    assert.equal(life!.label, 'pre');
    assert.deepEqual(transitions(life!), ['entry>detached@3', 'detached>registered@4', 'registered>extobj@6', 'extobj>zombie@17', 'zombie>freed@20']);
    assert.equal(life!.at[2], undefined, 'not there before drm_gpuvm_bo_create');
    assert.deepEqual(life!.at[17]!.lists, ['extobj', 'deferred'], 'a RESV_PROTECTED zombie stays on the extobj list');
  });

  test('obtain_prealloc that finds an existing vm_bo frees the preallocated one', () => {
    const lives = vmBoLifecycles(fixture('seeds-prealloc-freed-when-found').paths[0]!.steps);
    assert.deepEqual(lives.map((l) => l.label), ['pre1', 'pre2']);
    assert.deepEqual(transitions(lives[1]!), ['entry>detached@6', 'detached>freed@7']);
    assert.deepEqual(transitions(lives[0]!), ['entry>detached@3', 'detached>registered@4', 'registered>zombie@13', 'zombie>freed@14']);
  });

  test('a transition at a step with a violation carries its severity', () => {
    const [life] = vmBoLifecycles(fixture('rules-signalling-gem-put.bad').paths[0]!.steps);
    assert.deepEqual(transitions(life!).slice(-1), ['registered>freed@15:error']);
  });

  test('a vm_bo that obtain creates registered starts in registered', () => {
    const r = sim('vm vm resv_protected staged\ngem bo external\nioctl:\n  dma_resv_lock(bo)\n  vm_bo = drm_gpuvm_bo_obtain(vm, bo)\n  drm_gpuvm_bo_put(vm_bo)\n  dma_resv_unlock(bo)\n');
    const [life] = vmBoLifecycles(r.steps);
    assert.equal(transitions(life!)[0]!.replace(/@\d+.*/, ''), 'entry>registered');
  });

  test('edges: GPUVM\'s transitions, plus any other the path took', () => {
    const life: VmBoLife = { id: 'b', label: 'b', facts: [], at: [], transitions: [{ from: 'zombie', to: 'registered', pos: 3 }] };
    const edges = lifeEdges(life);
    assert.equal(edges.length, LIFE_EDGES.length + 1);
    assert.deepEqual(edges.at(-1), { from: 'zombie', to: 'registered', via: '' });
    assert.equal(lifeEdges({ ...life, transitions: [{ from: 'zombie', to: 'freed', pos: 1 }] }).length, LIFE_EDGES.length);
  });

  test('caption of a step', () => {
    const [life] = vmBoLifecycles(fixture('seeds-unlink-defer-in-run-job').paths[0]!.steps);
    assert.equal(lifeCaption(life!, 0), 'pre: not created yet on this path');
    assert.equal(lifeCaption(life!, 6), 'pre: registered, refcount 1, on gem, extobj');
    assert.equal(lifeCaption(life!, 17), 'pre: zombie, refcount 0, on extobj, deferred');
  });

  test('edge curves start at the first point and end at the last', () => {
    const d = basisPath([{ x: 0, y: 0 }, { x: 10, y: 20 }, { x: 20, y: 20 }, { x: 30, y: 40 }]);
    assert.match(d, /^M0,0L/);
    assert.match(d, /L30,40$/);
    assert.equal(basisPath([{ x: 1, y: 2 }, { x: 3, y: 4 }]), 'M1,2L3,4');
  });
});

describe('timeline lanes', () => {
  const steps = fixture('rules-signalling-gem-put.bad').paths[0]!.steps;
  const tl = buildTimeline(steps);
  const lane = (id: string) => tl.lanes.find((l) => l.id === id)!;
  const spans = (id: string) => lane(id).segments.map((s) => [s.start, s.end, s.text]);

  test('context lane, signalling region and the violation marker', () => {
    assert.deepEqual(spans('context').map((s) => s[2]), ['setup', 'ioctl', 'sm_step_map · signalling', 'sm_step_unmap · signalling']);
    assert.deepEqual(tl.signalling, [[6, 17]]);
    assert.deepEqual(tl.markers.map((m) => [m.pos, m.severity]), [[15, 'error']]);
    assert.match(tl.markers[0]!.title, /\[signalling-gem-put\]/);
  });

  test('one lane per object, grouped VM, GEM, vm_bo, VA, then one per lock', () => {
    assert.deepEqual(tl.lanes.map((l) => `${l.group}:${l.kind}`), ['context:context', 'object:vm', 'object:gem', 'object:vm_bo', 'object:va', 'lock:lock']);
    assert.equal(tl.flow, undefined, 'no thread lanes without threads');
  });

  test('a lock lane is a bar while the lock is held', () => {
    const l = tl.lanes.find((x) => x.group === 'lock')!;
    assert.equal(l.label, "'bo'->gpuva.lock");
    assert.deepEqual(l.segments.map((s) => [s.start, s.end, s.text]), [[8, 10, 'held'], [14, 16, 'held']]);
  });

  test('object segments change with state, refcount and lists', () => {
    const bo = tl.lanes.find((x) => x.kind === 'vm_bo')!;
    assert.deepEqual(bo.segments.map((s) => s.text), ['detached · ref 1', 'registered · ref 1 · gem', 'registered · ref 2 · gem', 'registered · ref 1 · gem', 'freed · ref 0']);
    assert.equal(bo.segments[0]!.start, 3);
    assert.equal(bo.segments.at(-1)!.end, steps.length);
    assert.match(bo.segments[1]!.cls, /\bst-registered\b/);
    assert.match(bo.segments[1]!.title, /VM vm, GEM bo/);
  });

  test('with threads: a lane per thread, steps without a thread first, and the flow between them', () => {
    const t = buildTimeline(threadedView().paths[0]!.steps);
    const threads = t.lanes.filter((l) => l.group === 'thread');
    assert.deepEqual(threads.map((l) => l.label), ['(no thread)', 'ioctl', 'sched', 'worker']);
    assert.equal(t.flow!.length, 21);
    assert.deepEqual([t.flow![0], t.flow![3], t.flow![10], t.flow![20]], [0, 1, 2, 3]);
    assert.equal(t.lanes[threads.length]!.group, 'context', 'thread lanes come first');
  });

  test('state words outside the model\'s vocabulary do not become class names', () => {
    const odd = structuredClone(steps);
    odd[5]!.after.objects[2]!.state = 'x" onclick="y';
    const bo = buildTimeline(odd).lanes.find((x) => x.kind === 'vm_bo')!;
    assert.ok(bo.segments.every((s) => /^[\w -]+$/.test(s.cls)), bo.segments.map((s) => s.cls).join('|'));
  });
});

describe('cursor', () => {
  const steps = fixture('seeds-unlink-defer-in-run-job').paths[0]!.steps;
  const file = 'examples/scenarios/seeds/unlink-defer-in-run-job.gpuvm';

  test('the step at the line, or the closest before it', () => {
    assert.equal(stepAtCursor(steps, file, 12), 6);
    assert.equal(stepAtCursor(steps, file, 15), 8, 'line 15 is blank: the step on line 14');
    assert.equal(stepAtCursor(steps, file, 500), 20);
    assert.equal(stepAtCursor(steps, file, 3), undefined, 'before the first step');
  });

  test('the host may name the file by its absolute path', () => {
    assert.equal(stepAtCursor(steps, `/home/dev/gpuvm-review/${file}`, 12), 6);
    assert.equal(stepAtCursor(steps, 'other.gpuvm', 12), undefined);
    assert.equal(sameFile('a/xfoo.rs', 'foo.rs'), false);
    assert.equal(sameFile('a/foo.rs', 'foo.rs'), true);
    assert.equal(sameFile('', 'foo.rs'), false);
  });
});

describe('copy as text', () => {
  test('the findings in the compiler\'s form, then the trace', () => {
    const v = fixture('rules-signalling-gem-put.bad');
    const text = reviewText(v, v.paths[0]!);
    for (const f of v.paths[0]!.findings) assert.ok(text.includes(findingLine(f)), findingLine(f));
    assert.ok(text.includes(traceToText(v.paths[0]!.steps, { indent: '  ' })));
    assert.ok(text.indexOf('[signalling-gem-put]') < text.indexOf('trace:'));
    assert.doesNotMatch(text, /path:/, 'one path: no path line');
  });

  test('names the path when there are several, and says when there is nothing to report', () => {
    const v = multiPathView();
    const text = reviewText(v, v.paths[2]!);
    assert.match(text, /^path: normal return$/m);
    assert.match(text, /^no findings on this path$/m);
    assert.match(text, /^DMA-fence signalling path \(run_job\); immediate mode, RESV_PROTECTED$/m);
  });
});

describe('page and messages', () => {
  test('the CSP is the strict one, with the nonce on the script and the stylesheet', () => {
    const nonce = makeNonce();
    const html = webviewHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x.vscode-cdn.net/main.js', styleUri: 'https://x.vscode-cdn.net/main.css' });
    const csp = "default-src 'none'; img-src https://x.vscode-cdn.net data:; style-src https://x.vscode-cdn.net "
      + `'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src https://x.vscode-cdn.net;`;
    assert.equal(contentSecurityPolicy('https://x.vscode-cdn.net', nonce), csp);
    assert.ok(html.includes(`content="${csp.replace(/'/g, '&#39;')}"`));
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/main.js"></script>`));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.doesNotMatch(html, /style=/);
  });

  test('URIs are escaped and a nonce that could break out of the policy is refused', () => {
    const html = webviewHtml({ cspSource: 'https://x', nonce: makeNonce(), scriptUri: 'https://x/a.js?"><script>', styleUri: 'https://x/a.css' });
    assert.ok(html.includes('src="https://x/a.js?&quot;&gt;&lt;script&gt;"'));
    assert.throws(() => webviewHtml({ cspSource: 'https://x', nonce: "abc'; script-src *", scriptUri: '', styleUri: '' }), /nonce/);
    assert.throws(() => webviewHtml({ cspSource: "https://x 'unsafe-inline'", nonce: makeNonce(), scriptUri: '', styleUri: '' }), /cspSource/);
    assert.throws(() => webviewHtml({ cspSource: 'https://x; script-src *', nonce: makeNonce(), scriptUri: '', styleUri: '' }), /cspSource/);
    // What VS Code and code-server really pass: several sources, and 'self'.
    for (const src of ["'self' https://*.vscode-cdn.net", 'https://*.vscode-resource.vscode-cdn.net', 'vscode-webview: https://x.example:8080']) {
      assert.match(webviewHtml({ cspSource: src, nonce: makeNonce(), scriptUri: 'https://x/a.js', styleUri: 'https://x/a.css' }), /Content-Security-Policy/);
    }
  });

  test('nonces are fresh', () => {
    const a = makeNonce();
    assert.match(a, /^[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(a, makeNonce());
  });

  test('messages from the host and stored states are checked before use', () => {
    const view = fixture('seeds-unlink-defer-in-run-job');
    assert.ok(isToWebview({ type: 'show', view }));
    assert.ok(isToWebview({ type: 'cursor', file: 'a', line: 3 }));
    assert.ok(isToWebview({ type: 'theme', kind: 'high-contrast' }));
    assert.ok(!isToWebview({ type: 'show', view: { title: 'x' } }));
    assert.ok(!isToWebview({ type: 'cursor', file: 'a', line: '3' }));
    assert.ok(!isToWebview({ type: 'reveal' }));
    assert.ok(!isToWebview(null));
    assert.ok(isState({}));
    assert.ok(isState({ view, pathId: 'p0', step: 3 }));
    assert.ok(!isState({ view: { paths: 'no' } }));
  });
});

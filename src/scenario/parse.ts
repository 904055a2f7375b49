// The .gpuvm scenario format: a line-based text a GPUVM developer reads
// without a manual.
//
//   # comment (also //)
//   vm vm resv_protected immediate
//   gem obj external                 # or: gem bo internal [VM]
//   driver vm_bo_free unpins         # ops->vm_bo_free takes the GEM resv
//   kernel obtain_prealloc self_locks  # or caller_locks (older kernels)
//
//   ioctl vm_bind:                   # a context: ioctl, run_job, workqueue, irq,
//     pre = drm_gpuvm_bo_create(vm, obj)      #   sm_step_map, ... (see contexts.ts)
//     vm_bo = drm_gpuvm_bo_obtain_prealloc(pre)
//     dma_resv_lock(vm)
//     drm_gpuvm_bo_extobj_add(vm_bo)
//     dma_resv_unlock(vm)
//
//   concurrent run_job unmap:        # threads: consecutive `concurrent` contexts
//     drm_gpuvm_bo_put_deferred(vm_bo) #   run over every interleaving; the next
//   concurrent workqueue cleanup:    #   plain context starts once they all end
//     drm_gpuvm_bo_deferred_cleanup(vm)
//
//   expect clean                     # or: expect <rule-id> / expect no <rule-id>

import { CONTEXT_BY_NAME } from '../model/contexts';
import { OP_BY_NAME, type ArgKind, type Op } from '../model/ops';
import { isRuleId } from '../model/rules';
import type { ObjKind } from '../model/state';
import { translate, type CallArg } from './vocabulary';

export interface ScenarioError {
  line: number;
  col: number;
  message: string;
}

export interface Statement {
  line: number;
  col: number;
  endCol: number;
  text: string;
  op: Op;
}

export interface ContextBlock {
  kind: string;
  name: string;
  line: number;
  statements: Statement[];
  /** `concurrent KIND NAME:` — a thread, run alongside the concurrent contexts next to it. */
  concurrent?: boolean;
}

export interface Expectation {
  line: number;
  rule: string | 'clean';
  negate: boolean;
}

export interface Scenario {
  file: string;
  setup: Statement[];
  contexts: ContextBlock[];
  expectations: Expectation[];
  obtainPrealloc: 'self-locks' | 'caller-locks';
  vmBoFreeTakesResv: boolean;
  vmBoFreeName?: string;
  /** `driver vm_bo_free unpins`: the callback also drops the vm_bo's pin on its GEM. */
  vmBoFreeUnpins?: boolean;
  /** `kernel defer_free unlock_then_add|add_then_unlock`. */
  deferFree?: 'unlock-then-add' | 'add-then-unlock';
  /** `kernel zombie_check yes|no`: prepare_objects/validate skip zombies. */
  zombieCheck?: boolean;
}

export class ScenarioSyntaxError extends Error {
  constructor(readonly errors: ScenarioError[]) {
    super(errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  }
}

const IDENT = /^[A-Za-z_][\w.>\-[\]]*$/;
const NAME = /^[A-Za-z_]\w*(?:(?:->|\.)\w+)*$/;

interface Tok { text: string; col: number }

/** Split a statement into words, keeping a call's parenthesised argument list together. */
function words(s: string, base: number): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i]!)) { i++; continue; }
    const start = i;
    let depth = 0;
    while (i < s.length && (depth > 0 || !/\s/.test(s[i]!))) {
      if (s[i] === '(') depth++;
      else if (s[i] === ')') depth--;
      i++;
      // "name (args)" with a space: glue the parenthesis to the name.
      if (depth === 0 && i < s.length && /\s/.test(s[i]!)) {
        let j = i;
        while (j < s.length && /\s/.test(s[j]!)) j++;
        if (s[j] === '(' && /[\w:]$/.test(s.slice(start, i))) i = j;
      }
    }
    out.push({ text: s.slice(start, i), col: base + start });
  }
  return out;
}

function splitArgs(inner: string, base: number): CallArg[] {
  if (!inner.trim()) return [];
  const out: CallArg[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= inner.length; i++) {
    const c = inner[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (i === inner.length || (c === ',' && depth === 0)) {
      const raw = inner.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), col: base + start + lead });
      start = i + 1;
    }
  }
  return out;
}

const VM_FLAGS = new Set(['resv_protected', 'immediate', 'staged']);

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const errors: ScenarioError[] = [];
  const sc: Scenario = { file, setup: [], contexts: [], expectations: [], obtainPrealloc: 'self-locks', vmBoFreeTakesResv: false };
  const kinds = new Map<string, ObjKind>();
  const lines = text.split(/\r?\n/);
  let current: ContextBlock | undefined;
  let lastVm: string | undefined;

  const err = (line: number, col: number, message: string): void => { errors.push({ line, col, message }); };

  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    const raw = lines[li]!;
    if (/[\u0000-\u0008\u000e-\u001f]/.test(raw)) { err(lineNo, 1, 'control characters: this does not look like a text scenario'); continue; }
    const cut = raw.search(/\s#|^#|\s\/\/|^\/\//);
    const body = (cut >= 0 ? raw.slice(0, cut) : raw).replace(/\s+$/, '');
    if (!body.trim()) continue;
    const indent = body.length - body.trimStart().length;
    const content = body.trimStart();
    const col0 = indent + 1;

    // context header: "run_job:" / "ioctl vm_bind:" / "concurrent workqueue cleanup:"
    const conc = /^concurrent\s+(.*)$/.exec(content);
    const hdr = /^([A-Za-z_]\w*)(?:\s+([\w.\-]+))?\s*:$/.exec(conc ? conc[1]! : content);
    if (indent === 0 && ((conc && !hdr) || (!conc && hdr?.[1] === 'concurrent'))) {
      err(lineNo, col0, 'expected: concurrent CONTEXT [NAME]: (a thread, such as "concurrent workqueue cleanup:")');
      current = undefined;
      continue;
    }
    if (hdr && indent === 0) {
      const kind = hdr[1]!;
      if (!CONTEXT_BY_NAME.has(kind)) {
        err(lineNo, col0, `unknown context '${kind}' (one of: ${[...CONTEXT_BY_NAME.keys()].filter((k) => k !== 'setup').join(', ')})`);
        current = undefined;
        continue;
      }
      current = { kind, name: hdr[2] ?? kind, line: lineNo, statements: [] };
      if (conc) current.concurrent = true;
      sc.contexts.push(current);
      continue;
    }

    const toks = words(content, col0);
    const head = toks[0]!;

    if (indent === 0) {
      current = undefined;
      switch (head.text) {
        case 'vm': {
          const name = toks[1];
          if (!name || !NAME.test(name.text)) { err(lineNo, name?.col ?? head.col, 'expected: vm NAME [resv_protected] [immediate|staged]'); continue; }
          const opts: Record<string, boolean> = {};
          for (const t of toks.slice(2)) {
            if (!VM_FLAGS.has(t.text)) { err(lineNo, t.col, `unknown VM flag '${t.text}' (resv_protected, immediate, staged)`); continue; }
            opts[t.text] = true;
          }
          if (opts.immediate && opts.staged) err(lineNo, toks[1]!.col, 'a VM is either immediate or staged');
          kinds.set(name.text, 'vm');
          lastVm = name.text;
          sc.setup.push({ line: lineNo, col: col0, endCol: body.length + 1, text: content, op: { op: 'vm_init', args: [name.text], opts, origin: `${lineNo}`, label: content } });
          continue;
        }
        case 'gem': {
          const name = toks[1];
          const kind = toks[2];
          if (!name || !NAME.test(name.text) || !kind || (kind.text !== 'internal' && kind.text !== 'external')) {
            err(lineNo, (kind ?? name ?? head).col, 'expected: gem NAME internal [VM] | gem NAME external');
            continue;
          }
          const args = [name.text];
          if (kind.text === 'internal') {
            const vm = toks[3]?.text ?? lastVm;
            if (!vm) { err(lineNo, kind.col, 'an internal GEM shares a VM\'s resv: declare the VM first'); continue; }
            if (kinds.get(vm) !== 'vm') { err(lineNo, toks[3]?.col ?? kind.col, `'${vm}' is not a declared VM`); continue; }
            args.push(vm);
          } else if (toks[3]) {
            err(lineNo, toks[3].col, 'an external GEM has its own resv: nothing follows "external"');
            continue;
          }
          kinds.set(name.text, 'gem');
          sc.setup.push({ line: lineNo, col: col0, endCol: body.length + 1, text: content, op: { op: 'gem_create', args, opts: { [kind.text]: true }, origin: `${lineNo}`, label: content } });
          continue;
        }
        case 'driver': {
          if (toks[1]?.text === 'vm_bo_free' && toks[2] && ['unpins', 'takes_resv', 'frees'].includes(toks[2].text)) {
            sc.vmBoFreeTakesResv = toks[2].text !== 'frees';
            if (toks[2].text === 'unpins') sc.vmBoFreeUnpins = true;
            if (toks[3]) sc.vmBoFreeName = toks[3].text;
            continue;
          }
          err(lineNo, (toks[1] ?? head).col, 'expected: driver vm_bo_free unpins|takes_resv|frees [NAME]');
          continue;
        }
        case 'kernel': {
          if (toks[1]?.text === 'obtain_prealloc' && (toks[2]?.text === 'self_locks' || toks[2]?.text === 'caller_locks')) {
            sc.obtainPrealloc = toks[2].text === 'self_locks' ? 'self-locks' : 'caller-locks';
            continue;
          }
          if (toks[1]?.text === 'defer_free' && (toks[2]?.text === 'unlock_then_add' || toks[2]?.text === 'add_then_unlock')) {
            sc.deferFree = toks[2].text === 'unlock_then_add' ? 'unlock-then-add' : 'add-then-unlock';
            continue;
          }
          if (toks[1]?.text === 'zombie_check' && (toks[2]?.text === 'yes' || toks[2]?.text === 'no')) {
            sc.zombieCheck = toks[2].text === 'yes';
            continue;
          }
          err(lineNo, (toks[1] ?? head).col, 'expected: kernel obtain_prealloc self_locks|caller_locks, kernel defer_free unlock_then_add|add_then_unlock, or kernel zombie_check yes|no');
          continue;
        }
        case 'expect': {
          let i = 1;
          let negate = false;
          if (toks[1]?.text === 'no') { negate = true; i = 2; }
          const r = toks[i];
          if (!r) { err(lineNo, head.col, 'expected: expect clean | expect RULE | expect no RULE'); continue; }
          if (r.text !== 'clean' && !isRuleId(r.text)) { err(lineNo, r.col, `unknown rule '${r.text}'`); continue; }
          sc.expectations.push({ line: lineNo, rule: r.text, negate });
          continue;
        }
        default:
          err(lineNo, head.col, `expected a declaration (vm, gem, driver, kernel, expect) or a context header such as "run_job:"; statements go indented under a context`);
          continue;
      }
    }

    // A statement inside a context.
    if (!current) { err(lineNo, col0, 'statement outside a context: start one with a header such as "ioctl:" or "run_job:"'); continue; }
    let result: Tok | undefined;
    let rest = toks;
    if (toks[1]?.text === '=') {
      result = toks[0];
      rest = toks.slice(2);
    } else if (/^[\w.>-]+=[^=]/.test(head.text)) {
      // "x=call(...)" without spaces
      const eq = head.text.indexOf('=');
      result = { text: head.text.slice(0, eq), col: head.col };
      rest = [{ text: head.text.slice(eq + 1), col: head.col + eq + 1 }, ...toks.slice(1)];
    }
    if (result && !NAME.test(result.text)) { err(lineNo, result.col, `'${result.text}' is not a valid handle name`); continue; }
    const call = rest[0];
    if (!call) { err(lineNo, col0, 'expected a call after "="'); continue; }
    const m = /^([A-Za-z_][\w:]*)\s*(?:\((.*)\))?$/s.exec(call.text);
    if (!m) {
      const open = call.text.indexOf('(');
      err(lineNo, call.col + Math.max(0, open), open >= 0 && !call.text.endsWith(')') ? 'unbalanced parentheses' : `cannot read '${call.text}' as a call`);
      continue;
    }
    const fname = m[1]!;
    let args: CallArg[];
    let options: Tok[];
    if (m[2] !== undefined) {
      args = splitArgs(m[2], call.col + call.text.indexOf('(') + 1);
      options = rest.slice(1);
    } else {
      // short form: "bo_put vm_bo"
      args = rest.slice(1).filter((t) => !/^[a-z_]+(=\S+)?$/.test(t.text) || kinds.has(t.text) || OP_BY_NAME.get(fname)?.args.includes('lock-name'));
      options = rest.slice(1).filter((t) => !args.includes(t));
    }
    const tr = translate(fname, args, options);
    if (!tr.ok) { err(lineNo, tr.col ?? call.col, tr.message); continue; }
    const spec = OP_BY_NAME.get(tr.op)!;
    let bad = false;
    tr.args.forEach((a, i) => {
      const want: ArgKind | undefined = spec.args[i];
      const col = tr.argCols[i] ?? call.col;
      if (!want || want === 'label' || want === 'lock-name') {
        if (want === 'lock-name' && !IDENT.test(a)) { err(lineNo, col, `'${a}' is not a lock name`); bad = true; }
        return;
      }
      const have = kinds.get(a);
      if (!have) { err(lineNo, col, `unknown handle '${a}'${kinds.size ? ` (known: ${[...kinds.keys()].join(', ')})` : ''}`); bad = true; return; }
      const ok = want === 'handle' || want === have || (want === 'resv-owner' && (have === 'vm' || have === 'gem'));
      if (!ok) { err(lineNo, col, `'${a}' is a ${have}; ${fname} expects a ${want === 'resv-owner' ? 'VM or GEM (whose dma_resv it locks)' : want} here`); bad = true; }
    });
    if (bad) continue;
    if (result && !spec.result && tr.op !== 'alloc') { err(lineNo, result.col, `${fname} returns nothing to bind to '${result.text}'`); continue; }
    const resName = result?.text;
    if (spec.result && !spec.resultOptional && !resName) { err(lineNo, call.col, `${fname} returns a ${spec.result}: bind it, as in "x = ${fname}(...)"`); continue; }
    if (resName && spec.result) kinds.set(resName, spec.result);
    if (tr.op === 'alias') kinds.set(tr.args[0]!, kinds.get(tr.args[1]!)!);
    const op: Op = { op: tr.op, args: tr.args, opts: tr.opts, origin: `${lineNo}`, label: content };
    if (resName) op.result = resName;
    current.statements.push({ line: lineNo, col: col0, endCol: body.length + 1, text: content, op });
  }
  if (errors.length) throw new ScenarioSyntaxError(errors);
  if (!sc.contexts.length && !sc.setup.length) throw new ScenarioSyntaxError([{ line: 1, col: 1, message: 'empty scenario: declare a vm and at least one context' }]);
  return sc;
}

// What a trace step shows of a threaded world: every object, and every lock
// with the thread that holds it, in the webview's Snapshot format.

import { snapshot, type Snapshot } from '../model/trace';
import type { ExecContext } from '../model/state';
import { viewOf, type World } from './world';

/** Snapshot after a step of thread `ti` (-1: no thread, e.g. after its group ended). */
export function snapshotWorld(w: World, ti: number, lane?: string, ctx?: ExecContext): Snapshot {
  const t = ti >= 0 ? w.threads[ti] : undefined;
  const base = snapshot(t ? viewOf(w, t) : w.shared);
  const locks = w.threads.flatMap((x) => x.locks.map((l) => ({ id: l.id, label: `${l.label} (held by ${x.name})`, cls: l.cls, via: l.via })));
  const c = t?.ctx ?? ctx;
  const context = c
    ? { name: t?.name ?? lane ?? c.name, signalling: c.signalling > 0, depth: c.signalling, atomic: c.atomic > 0 }
    : { ...base.context, name: lane ?? 'process' };
  return { ...base, locks, context };
}

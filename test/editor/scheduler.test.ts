import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Scheduler, type Timers } from '../../src/editor/scheduler';

function fakeTimers() {
  let now = 0;
  const pending: Array<{ at: number; fn: () => void; id: number }> = [];
  let id = 0;
  const timers: Timers = {
    set: (fn, ms) => { pending.push({ at: now + ms, fn, id: ++id }); return id; },
    clear: (h) => { const i = pending.findIndex((p) => p.id === h); if (i >= 0) pending.splice(i, 1); },
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const p of pending.filter((x) => x.at <= now)) { pending.splice(pending.indexOf(p), 1); p.fn(); }
    await new Promise((r) => setImmediate(r));
  };
  return { timers, advance };
}

test('debounce: only the last request in the window runs', async () => {
  const t = fakeTimers();
  const s = new Scheduler<string>(t.timers);
  const ran: number[] = [];
  for (let i = 0; i < 5; i++) { s.schedule('doc', 100, () => { ran.push(i); }); await t.advance(50); }
  await t.advance(100);
  assert.deepEqual(ran, [4]);
});

test('a new request cancels the run in progress', async () => {
  const t = fakeTimers();
  const s = new Scheduler<string>(t.timers);
  const seen: boolean[] = [];
  let release!: () => void;
  s.schedule('doc', 0, async (tok) => { await new Promise<void>((r) => { release = r; }); seen.push(tok.cancelled); });
  await t.advance(0);
  s.schedule('doc', 10, () => { seen.push(false); });
  release();
  await new Promise((r) => setImmediate(r));
  await t.advance(10);
  assert.deepEqual(seen, [true, false]);
});

test('documents are independent; cancel and dispose stop everything', async () => {
  const t = fakeTimers();
  const s = new Scheduler<string>(t.timers);
  const ran: string[] = [];
  s.schedule('a', 10, () => { ran.push('a'); });
  s.schedule('b', 10, () => { ran.push('b'); });
  s.cancel('a');
  assert.ok(s.isPending('b') && !s.isPending('a'));
  await t.advance(10);
  assert.deepEqual(ran, ['b']);
  s.schedule('c', 10, () => { ran.push('c'); });
  s.dispose();
  await t.advance(10);
  assert.deepEqual(ran, ['b']);
});

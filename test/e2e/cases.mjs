// What the end-to-end test does in VS Code, with the files it opens.

export const CASES = {
  files: [
    { from: 'test/e2e/workspace/vm.rs', as: 'src/vm.rs' },
    { from: 'test/e2e/workspace/mmu.c', as: 'drivers/mmu.c' },
    { from: 'examples/scenarios/seeds/prealloc-freed-when-found.gpuvm', as: 'scenarios/prealloc-freed-when-found.gpuvm' },
  ],

  async run({ step, ui, page, sleep, waitFor }) {
    await step('rust-diagnostics', async () => {
      await ui.openFile('src/vm.rs');
      const rows = await ui.problems(['signalling-alloc', 'vm.rs']);
      return rows.filter((r) => r.includes('gpuvm-review')).slice(0, 3).join(' | ');
    });
    await step('c-diagnostics', async () => {
      await ui.openFile('drivers/mmu.c');
      const rows = await ui.problems(['signalling-gem-put', 'lock-leak']);
      return rows.filter((r) => r.includes('signalling-gem-put') || r.includes('lock-leak')).slice(0, 2).join(' | ');
    });
    await step('simulate-function', async () => {
      await ui.openFile('src/vm.rs');
      await ui.gotoLine(36); // inside run_job
      await ui.command('GPUVM: Simulate Function');
      const frame = await ui.webview('run_job');
      const text = await frame.evaluate(() => document.body.innerText);
      for (const want of ['signalling-alloc', 'GpuVaAlloc::new']) if (!text.includes(want)) throw new Error(`webview lacks "${want}": ${text.slice(0, 300)}`);
      const steps = await frame.locator('ol.steps li.step').count();
      if (steps < 3) throw new Error(`only ${steps} steps drawn`);
      const svgs = await frame.locator('svg').count();
      if (!svgs) throw new Error('no diagram drawn');
      await page.screenshot({ path: `${process.env.GPUVM_E2E_SHOTS}/webview-run-job.png` }).catch(() => {});
      return `${steps} steps, ${svgs} diagrams`;
    });
    await step('click-step-reveals-line', async () => {
      const frame = await ui.webview('run_job');
      // The cursor is on 36 (run_job's head); the step is the allocation on 37.
      const target = frame.locator('ol.steps li.step', { hasText: 'GpuVaAlloc::new' }).first();
      await target.click();
      let seen = NaN;
      const line = await waitFor('the editor cursor on the step\'s line (37)', async () => {
        seen = await ui.cursorLine('vm.rs');
        return seen === 37 ? seen : undefined;
      }, 15000).catch((e) => { throw new Error(`${e.message}; cursor on line ${seen}`); });
      return `cursor at line ${line}`;
    });
    await step('scenario-diagnostics-and-simulation', async () => {
      await ui.openFile('scenarios/prealloc-freed-when-found.gpuvm');
      await ui.problems(['vm-bo-use-after-put']);
      await ui.command('GPUVM: Simulate Scenario');
      const frame = await ui.webview('prealloc-freed-when-found.gpuvm');
      const text = await frame.evaluate(() => document.body.innerText);
      if (!text.includes('vm-bo-use-after-put')) throw new Error('the scenario webview lacks its finding');
      return 'scenario simulated';
    });
    await sleep(200);
  },
};

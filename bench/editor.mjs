// The editor as a user waits for it (JSON key `editor`): activation of the
// bundled extension, first diagnostics after opening a 5k-line Rust file,
// re-analysis after one-character edits (incremental parse + analysis of what
// changed, until the diagnostics are published), and the webview's render of a
// 200-step trace in headless Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const name = 'editor';

export async function run({ root, require }) {
  const host = spawnSync(process.execPath, [join(root, 'bench/helpers/editor-host.mjs'), root, '5000', '30'], { encoding: 'utf8', timeout: 300000 });
  if (host.status !== 0) throw new Error(`editor bench failed: ${host.stderr || host.stdout}`);
  const json = JSON.parse(host.stdout.trim().split('\n').pop());
  const lines = [
    `activation (load the bundle, tree-sitter and both grammars): ${json.activationMs} ms`,
    `first diagnostics for a ${json.lines}-line Rust file: ${json.firstDiagnosticsMs} ms (${json.diagnostics} diagnostics)`,
    `re-analysis after a one-character edit (${json.edits} edits): p50 ${json.reanalysisP50Ms} ms, p90 ${json.reanalysisP90Ms} ms, max ${json.reanalysisMaxMs} ms (target p50 < 20 ms)`,
  ];
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(chromium) && process.env.GPUVM_SKIP_BROWSER_TESTS !== '1') {
    const { benchWebview } = require(join(root, 'out/test/webview/render-bench.js'));
    const w = await benchWebview(200);
    json.webviewRenderMs = w.webviewRenderMs;
    lines.push(`webview render of a ${w.steps}-step trace: ${w.webviewRenderMs} ms (median)`);
  } else {
    lines.push('webview render: skipped (no Chromium)');
  }
  return { json, lines };
}

// Times the webview's `show` for a 200-step trace in headless Chromium and
// prints {"webviewRenderMs": N, ...}. Needs the compiled tests and the bundle:
//   npm run bench:webview        (builds, compiles, then runs this)
// Usage: node scripts/bench-webview.mjs [steps]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const compiled = `${root}out/test/webview/render-bench.js`;
if (!existsSync(compiled)) {
  console.error('out/test/webview/render-bench.js is missing: run "npm run bench:webview" (it compiles first)');
  process.exit(2);
}
const { benchWebview } = require(compiled);
const steps = Number(process.argv[2] ?? 200);
console.log(JSON.stringify(await benchWebview(steps)));

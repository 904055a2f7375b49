// Bundles the CLI, the extension (Node and browser) and the webview with
// esbuild, and copies the tree-sitter WASM files next to them.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const production = process.argv.includes('--production');
const dist = join(root, 'dist');
// Start clean: a stale file (an old source map) must not end up in the package.
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle does not have:
// always bundle its CommonJS build (the WASM bytes are passed in, so nothing is located at run time).
const cjsTreeSitter = {
  name: 'web-tree-sitter-cjs',
  setup(b) {
    b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: require.resolve('web-tree-sitter') }));
  },
};
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root, plugins: [cjsTreeSitter] };

const builds = [
  esbuild.build({
    ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20',
  }),
];
if (existsSync(join(root, 'src/vscode/extension.ts'))) {
  builds.push(esbuild.build({
    ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode'],
  }));
  builds.push(esbuild.build({
    ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/web/extension.js', platform: 'browser', format: 'cjs', target: 'es2022',
    external: ['vscode'], define: { 'process.env.GPUVM_REVIEW_WEB': '"1"' },
    // web-tree-sitter references node modules behind runtime checks; they are never reached in a browser.
    alias: {}, logOverride: { 'unsupported-require-call': 'silent' },
  }));
}
if (existsSync(join(root, 'media/main.ts'))) {
  builds.push(esbuild.build({
    ...common, entryPoints: ['media/main.ts'], outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife', target: 'es2022',
  }));
}
await Promise.all(builds);

const wasm = [
  ['web-tree-sitter/web-tree-sitter.wasm', 'web-tree-sitter.wasm'],
  ['tree-sitter-rust/tree-sitter-rust.wasm', 'tree-sitter-rust.wasm'],
  ['tree-sitter-c/tree-sitter-c.wasm', 'tree-sitter-c.wasm'],
];
for (const [from, to] of wasm) copyFileSync(require.resolve(from), join(dist, to));
if (existsSync(join(root, 'media'))) {
  mkdirSync(join(dist, 'webview'), { recursive: true });
  for (const f of readdirSync(join(root, 'media'))) if (f.endsWith('.css')) copyFileSync(join(root, 'media', f), join(dist, 'webview', f));
}
chmodSync(join(dist, 'cli.js'), 0o755);

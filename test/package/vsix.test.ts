// `npm run package` makes a .vsix that carries everything the extension loads at
// run time (bundles, the three WASM files, the webview, rule docs) and nothing of the sources.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inflateRawSync } from 'node:zlib';

const root = join(__dirname, '..', '..', '..');

/** Entry names and contents of a zip file (the .vsix), read from its central directory. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'zip end-of-central-directory record');
  const n = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < n; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extra = buf.readUInt16LE(p + 30);
    const comment = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + csize);
    out.set(name, method === 8 ? inflateRawSync(raw) : raw);
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

test('npm run package makes a .vsix with the WASM files, both bundles, the webview and the rule docs', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-vsix-'));
  const out = join(dir, 'gpuvm-review.vsix');
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production'], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const vsce = spawnSync(process.execPath, [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', out],
    { cwd: root, encoding: 'utf8' });
  assert.equal(vsce.status, 0, vsce.stdout + vsce.stderr);
  const files = unzip(readFileSync(out));
  for (const f of ['dist/web-tree-sitter.wasm', 'dist/tree-sitter-rust.wasm', 'dist/tree-sitter-c.wasm', 'dist/extension.js', 'dist/web/extension.js',
    'dist/webview/main.js', 'dist/webview/main.css', 'docs/rules/vm-bo-leak.md', 'syntaxes/gpuvm.tmLanguage.json', 'media/icon.png', 'package.json']) {
    assert.ok(files.has(`extension/${f}`), `${f} is in the .vsix`);
  }
  // The WASM files are the real ones, byte for byte.
  for (const [pkg, f] of [['web-tree-sitter', 'web-tree-sitter.wasm'], ['tree-sitter-rust', 'tree-sitter-rust.wasm'], ['tree-sitter-c', 'tree-sitter-c.wasm']]) {
    assert.ok(files.get(`extension/dist/${f}`)!.equals(readFileSync(require.resolve(`${pkg}/${f}`))), `${f} intact`);
  }
  const names = [...files.keys()];
  assert.ok(!names.some((n) => /\.ts$|\.map$|node_modules|^extension\/src\//.test(n)), `no sources or maps: ${names.filter((n) => /\.ts$|\.map$|node_modules|src\//.test(n)).join(', ')}`);
  const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8'));
  assert.equal(manifest.main, './dist/extension.js');
  assert.equal(manifest.browser, './dist/web/extension.js');
  assert.deepEqual(manifest.capabilities, { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true });
});
